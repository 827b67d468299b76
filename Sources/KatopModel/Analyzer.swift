// Turns a raw Snapshot into analysed Connections: owner, keepalive state, idle time, risks.
import Glibc

public enum Analyzer {
  /// Builds one Connection per socket, in snapshot order. Mini-sockets (inode 0) get no owner.
  public static func analyze(_ snapshot: Snapshot, profile: MiddleboxProfile) -> [Connection] {
    analyze(snapshot, profile: profile, workers: 1)
  }

  /// Like `analyze(_:profile:)` for a snapshot that is not needed afterwards (`snapshot.sockets`
  /// is empty on return): the records' memory goes back to the system page by page as the rows
  /// are built, so at 100k sockets the records (~15 MB) and the rows (~25 MB) are never both
  /// resident (docs/performance.md, round 4). Records another value still holds are copied first
  /// (copy on write) and that value keeps them intact: pass a snapshot nobody else holds.
  public static func analyze(releasing snapshot: inout Snapshot, profile: MiddleboxProfile) -> [Connection] {
    var records = snapshot.sockets
    snapshot.sockets = []
    var out: [Connection] = []
    out.reserveCapacity(records.count)
    // The mutable access below makes the buffer ours alone; its elements hold no references.
    let release = _isPOD(SocketRecord.self)
    let pageSize = max(sysconf(Int32(_SC_PAGESIZE)), 1)
    let chunk = 4096
    let index = RiskText.profileIndex(profile)
    records.withUnsafeMutableBufferPointer { buffer in
      guard let base = buffer.baseAddress else { return }
      let first = UnsafeMutableRawPointer(base)
      // Whole pages inside the elements only: the array header and malloc's bookkeeping stay.
      var releasedUpTo = (Int(bitPattern: first) + pageSize - 1) / pageSize * pageSize
      var start = 0
      while start < buffer.count {
        let end = min(start + chunk, buffer.count)
        for i in start..<end { out.append(analyze(buffer[i], snapshot: snapshot, profile: profile, profileIndex: index)) }
        start = end
        guard release else { continue }
        let done = Int(bitPattern: UnsafeMutableRawPointer(base + end)) / pageSize * pageSize
        if done > releasedUpTo, let pages = UnsafeMutableRawPointer(bitPattern: releasedUpTo) {
          // The released records read back as zeros, which no longer are valid values: nothing
          // reads them again (the buffer is freed below).
          _ = madvise(pages, done - releasedUpTo, MADV_DONTNEED)
          releasedUpTo = done
        }
      }
    }
    records = []
    return out
  }

  /// One row; `profileIndex`: `RiskText.profileIndex(profile)`, looked up once per table.
  static func analyze(_ record: SocketRecord, snapshot: Snapshot, profile: MiddleboxProfile, profileIndex: UInt8?) -> Connection {
    let owner = record.inode == 0 ? nil : snapshot.owners[record.inode]
    let options = record.inode == 0 ? nil : snapshot.options[record.inode]
    let idleMs = KeepaliveMath.idleMs(record)
    let keepalive = KeepaliveMath.state(for: record, options: options, system: snapshot.system, idleMs: idleMs)
    var c = Connection(record: record, owner: owner, keepalive: keepalive, idleMs: idleMs, risks: [])
    c.evaluateRisks(profile: profile, index: profileIndex, system: snapshot.system)
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
