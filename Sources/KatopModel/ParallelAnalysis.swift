// Analysis of a big snapshot on several threads (`katop --once`, docs/performance.md):
// rows are independent, so blocks of them are built at once straight into the result's storage.

extension Analyzer {
  /// The same rows as `analyze(_:profile:)`, in the same order, built on up to `workers` threads
  /// (one worker, or a snapshot of at most one block: built in order on this thread).
  public static func analyze(_ snapshot: Snapshot, profile: MiddleboxProfile, workers: Int, blockRows: Int = 4096) -> [Connection] {
    let count = snapshot.sockets.count
    let block = max(1, blockRows)
    let index = RiskText.profileIndex(profile)
    if workers <= 1 || count <= block {
      var out: [Connection] = []
      out.reserveCapacity(count)
      for record in snapshot.sockets {
        out.append(analyze(record, snapshot: snapshot, profile: profile, profileIndex: index))
      }
      return out
    }
    let blocks = (count + block - 1) / block
    return [Connection](unsafeUninitializedCapacity: count) { storage, initialized in
      guard let base = storage.baseAddress else {
        initialized = 0
        return
      }
      Parallel.forEach(count: blocks, workers: workers) { _, b in
        for i in (b * block)..<min(count, (b + 1) * block) {
          (base + i).initialize(to: analyze(snapshot.sockets[i], snapshot: snapshot, profile: profile, profileIndex: index))
        }
        return false
      }
      initialized = count
    }
  }
}
