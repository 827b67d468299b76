// Turns a raw Snapshot into analysed Connections: owner, keepalive state, idle time, risks.

public enum Analyzer {
  /// Builds one Connection per socket, in snapshot order. Mini-sockets (inode 0) get no owner.
  public static func analyze(_ snapshot: Snapshot, profile: MiddleboxProfile) -> [Connection] {
    var out: [Connection] = []
    out.reserveCapacity(snapshot.sockets.count)
    // Fix texts repeat across rows (same owner, same profile): rows share one copy of each
    // (~150 bytes a row at 100k risky rows, docs/performance.md).
    var fixes: [String: String] = [:]
    for record in snapshot.sockets {
      var c = analyze(record, snapshot: snapshot, profile: profile)
      for i in c.risks.indices {
        if let shared = fixes[c.risks[i].fix] {
          c.risks[i].fix = shared
        } else if fixes.count < 4096 {
          fixes[c.risks[i].fix] = c.risks[i].fix
        }
      }
      out.append(c)
    }
    return out
  }

  public static func analyze(_ record: SocketRecord, snapshot: Snapshot, profile: MiddleboxProfile) -> Connection {
    let owner = record.inode == 0 ? nil : snapshot.owners[record.inode]
    let options = record.inode == 0 ? nil : snapshot.options[record.inode]
    let keepalive = KeepaliveMath.state(for: record, options: options, system: snapshot.system)
    var c = Connection(
      record: record, owner: owner, keepalive: keepalive, idleMs: KeepaliveMath.idleMs(record), risks: [])
    c.risks = RiskRules.evaluate(c, profile: profile, system: snapshot.system)
    return c
  }

  /// Re-evaluates risks for another profile without recollecting (the TUI's profile key).
  public static func reevaluate(
    _ connections: [Connection], profile: MiddleboxProfile, system: SystemInfo? = nil
  ) -> [Connection] {
    connections.map { c in
      var c = c
      c.risks = RiskRules.evaluate(c, profile: profile, system: system)
      return c
    }
  }
}
