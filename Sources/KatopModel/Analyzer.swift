// Turns a raw Snapshot into analysed Connections: owner, keepalive state, idle time, risks.
public enum Analyzer {
  /// Builds one Connection per socket, in snapshot order. Mini-sockets (inode 0) get no owner.
  public static func analyze(_ snapshot: Snapshot, profile: MiddleboxProfile) -> [Connection] {
    analyze(snapshot, profile: profile, workers: 1)
  }

  /// One row; `profileIndex`: `RiskText.profileIndex(profile)`, looked up once per table.
  static func analyze(_ record: SocketRecord, snapshot: Snapshot, profile: MiddleboxProfile, profileIndex: UInt8?) -> Connection {
    analyze(
      record, owner: record.inode == 0 ? nil : snapshot.owners[record.inode],
      options: record.inode == 0 ? nil : snapshot.options[record.inode], system: snapshot.system, profile: profile,
      profileIndex: profileIndex)
  }

  /// One row from its record, owner and settings.
  static func analyze(
    _ record: SocketRecord, owner: Owner?, options: SocketOptions?, system: SystemInfo, profile: MiddleboxProfile,
    profileIndex: UInt8?
  ) -> Connection {
    let idleMs = KeepaliveMath.idleMs(record)
    let keepalive = KeepaliveMath.state(for: record, options: options, system: system, idleMs: idleMs)
    var c = Connection(record: record, owner: owner, keepalive: keepalive, idleMs: idleMs, risks: [])
    c.evaluateRisks(profile: profile, index: profileIndex, system: system)
    return c
  }

  /// Re-evaluates risks for another profile without recollecting (the TUI's profile key).
  public static func reevaluate(
    _ connections: [Connection], profile: MiddleboxProfile, system: SystemInfo? = nil
  ) -> [Connection] {
    let index = RiskText.profileIndex(profile)
    return connections.map { c in
      var c = c
      c.evaluateRisks(profile: profile, index: index, system: system)
      return c
    }
  }
}
