// Sort orders shared by --once and the TUI.

public enum SortColumn: String, Sendable, CaseIterable {
  case local, remote, state, owner, user, command, idle, keepalive, timer, detect, risk

  public var title: String {
    switch self {
    case .local: return "Local"
    case .remote: return "Remote"
    case .state: return "State"
    case .owner: return "Owner"
    case .idle: return "Idle"
    case .keepalive: return "KA"
    case .timer: return "Timer"
    case .detect: return "Detect"
    case .risk: return "Risk"
    case .user: return "User"
    case .command: return "Command"
    }
  }
}

public struct SortOrder: Hashable, Sendable {
  public var column: SortColumn
  public var descending: Bool
  public init(column: SortColumn = .risk, descending: Bool = true) {
    self.column = column
    self.descending = descending
  }

  /// Sorts in place; ties break on the socket cookie so the order is stable across refreshes.
  ///
  /// Connections are large values: instead of letting the sort move them around, it sorts small
  /// (key, cookie, index) triples (numeric columns) or indices (text columns) and then gathers the
  /// rows once, in order (docs/performance.md).
  public func sort(_ rows: inout [Connection]) {
    if rows.count < 2 { return }
    let all = (0..<Int32(truncatingIfNeeded: rows.count)).map { $0 }
    let order = rows.withUnsafeBufferPointer { buffer in self.order(all) { buffer[$0] } }
    SortOrder.permute(&rows, by: order)
  }

  /// The store's `slots` in this order, ties broken on the cookie; no row moves.
  public func order(_ slots: [Int32], of rows: [StoredConnection]) -> [Int32] {
    rows.withUnsafeBufferPointer { buffer in order(slots) { buffer[$0].connection } }
  }

  /// `indices` reordered by the connections `connectionAt` gives for them.
  func order(_ indices: [Int32], _ connectionAt: (Int) -> Connection) -> [Int32] {
    if indices.count < 2 { return indices }
    let desc = descending
    let col = column
    if let keyOf = SortOrder.numericKey(col) {
      var keyed: [(key: UInt64, cookie: UInt64, index: Int32)] = []
      keyed.reserveCapacity(indices.count)
      for i in indices {
        let c = connectionAt(Int(i))
        let key = keyOf(c)
        keyed.append((desc ? ~key : key, c.record.cookie, i))
      }
      keyed.sort { a, b in a.key != b.key ? a.key < b.key : a.cookie < b.cookie }
      return keyed.map(\.index)
    }
    var order = indices
    order.sort { ia, ib in
      let a = connectionAt(Int(ia)), b = connectionAt(Int(ib))
      let c = SortOrder.compare(a, b, col)
      if c != 0 { return desc ? c > 0 : c < 0 }
      return a.record.cookie < b.record.cookie
    }
    return order
  }

  /// Reorders in place so that `rows[k]` becomes the old `rows[order[k]]`, following the
  /// permutation's cycles and moving each row once: no second 100k-row array alive
  /// (docs/performance.md).
  static func permute(_ rows: inout [Connection], by order: [Int32]) {
    var placed = [Bool](repeating: false, count: rows.count)
    rows.withUnsafeMutableBufferPointer { buffer in
      guard let base = buffer.baseAddress else { return }
      for start in buffer.indices where !placed[start] {
        placed[start] = true
        var j = start
        var k = Int(order[j])
        if k == start { continue }
        let first = (base + start).move()
        while k != start {
          (base + j).moveInitialize(from: base + k, count: 1)
          j = k
          placed[j] = true
          k = Int(order[j])
        }
        (base + j).initialize(to: first)
      }
    }
  }

  /// For the numeric columns: a key whose unsigned order is `compare`'s order.
  static func numericKey(_ col: SortColumn) -> ((Connection) -> UInt64)? {
    func signed(_ v: Int64) -> UInt64 { UInt64(bitPattern: v) ^ (1 << 63) }
    switch col {
    case .state: return { UInt64($0.record.state.rawValue) }
    case .idle: return { $0.idleMs ?? 0 }
    case .keepalive: return { $0.keepalive.enabled == true ? 2 : ($0.keepalive.enabled == nil ? 1 : 0) }
    case .timer: return { UInt64($0.record.timerExpiresMs) }
    case .detect: return { signed($0.keepalive.detectInMs ?? Int64.max) }
    case .risk:
      // Severity (none = 0 ... critical = 3) in the top 2 bits, then idle time (clamped).
      return { c in
        let severity = UInt64((c.worstSeverity?.rawValue ?? -1) + 1)
        return severity << 62 | min(c.idleMs ?? 0, (1 << 62) - 1)
      }
    case .local, .remote, .owner, .user, .command: return nil
    }
  }

  static func cmp<T: Comparable>(_ a: T, _ b: T) -> Int { a < b ? -1 : (a > b ? 1 : 0) }

  /// The order `sort(_:)` puts rows in, for two rows: the column's order (reversed when
  /// descending), then the socket cookie. For merging rows into an already sorted list.
  public func areInIncreasingOrder(_ a: Connection, _ b: Connection) -> Bool {
    let c = SortOrder.compare(a, b, column)
    if c != 0 { return descending ? c > 0 : c < 0 }
    return a.record.cookie < b.record.cookie
  }

  /// The column's ascending order: the numeric key where there is one, else the text columns'.
  static func compare(_ a: Connection, _ b: Connection, _ col: SortColumn) -> Int {
    if let keyOf = numericKey(col) { return cmp(keyOf(a), keyOf(b)) }
    switch col {
    case .local: return cmpEndpoint(a.record.local, b.record.local)
    case .remote: return cmpEndpoint(a.record.remote, b.record.remote)
    case .owner:
      let c = cmp(a.owner?.command ?? "", b.owner?.command ?? "")
      return c != 0 ? c : cmp(a.owner?.pid ?? -1, b.owner?.pid ?? -1)
    case .user: return cmp(a.owner?.userName ?? "", b.owner?.userName ?? "")
    case .command: return cmp(a.owner.map(ConnectionText.commandLine) ?? "", b.owner.map(ConnectionText.commandLine) ?? "")
    default: return 0
    }
  }

  static func cmpEndpoint(_ a: Endpoint, _ b: Endpoint) -> Int {
    let ka = Format.addressKey(a.address), kb = Format.addressKey(b.address)
    let c = ka < kb ? -1 : (ka > kb ? 1 : 0)
    return c != 0 ? c : cmp(a.port, b.port)
  }
}
