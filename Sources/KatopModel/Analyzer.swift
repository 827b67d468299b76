// Turns a raw Snapshot into analysed Connections: owner, keepalive state, idle time, risks.

public enum Analyzer {
  /// Builds one Connection per socket, in snapshot order. Mini-sockets (inode 0) get no owner.
  public static func analyze(_ snapshot: Snapshot, profile: MiddleboxProfile) -> [Connection] {
    var out: [Connection] = []
    out.reserveCapacity(snapshot.sockets.count)
    for record in snapshot.sockets {
      out.append(analyze(record, snapshot: snapshot, profile: profile))
    }
    return out
  }

  public static func analyze(_ record: SocketRecord, snapshot: Snapshot, profile: MiddleboxProfile) -> Connection {
    let owner = record.inode == 0 ? nil : snapshot.owners[record.inode]
    let options = record.inode == 0 ? nil : snapshot.options[record.inode]
    let keepalive = KeepaliveMath.state(for: record, options: options, system: snapshot.system)
    var c = Connection(
      record: record, owner: owner, keepalive: keepalive, idleMs: KeepaliveMath.idleMs(record), risks: [])
    c.evaluateRisks(profile: profile, system: snapshot.system)
    return c
  }

  /// Re-evaluates risks for another profile without recollecting (the TUI's profile key).
  public static func reevaluate(
    _ connections: [Connection], profile: MiddleboxProfile, system: SystemInfo? = nil
  ) -> [Connection] {
    connections.map { c in
      var c = c
      c.evaluateRisks(profile: profile, system: system)
      return c
    }
  }
}
