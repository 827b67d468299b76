// Sort orders shared by --once and the TUI.

public enum SortColumn: String, Sendable, CaseIterable {
  case local, remote, state, owner, idle, keepalive, timer, detect, risk

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
  public func sort(_ rows: inout [Connection]) {
    let desc = descending
    let col = column
    rows.sort { a, b in
      let c = SortOrder.compare(a, b, col)
      if c != 0 { return desc ? c > 0 : c < 0 }
      return a.record.cookie < b.record.cookie
    }
  }

  static func cmp<T: Comparable>(_ a: T, _ b: T) -> Int { a < b ? -1 : (a > b ? 1 : 0) }

  static func compare(_ a: Connection, _ b: Connection, _ col: SortColumn) -> Int {
    switch col {
    case .local: return cmpEndpoint(a.record.local, b.record.local)
    case .remote: return cmpEndpoint(a.record.remote, b.record.remote)
    case .state: return cmp(a.record.state.rawValue, b.record.state.rawValue)
    case .owner:
      return cmp(a.owner?.command ?? "", b.owner?.command ?? "") != 0
        ? cmp(a.owner?.command ?? "", b.owner?.command ?? "") : cmp(a.owner?.pid ?? -1, b.owner?.pid ?? -1)
    case .idle: return cmp(a.idleMs ?? 0, b.idleMs ?? 0)
    case .keepalive:
      func k(_ c: Connection) -> Int { c.keepalive.enabled == true ? 2 : (c.keepalive.enabled == nil ? 1 : 0) }
      return cmp(k(a), k(b))
    case .timer: return cmp(a.record.timerExpiresMs, b.record.timerExpiresMs)
    case .detect: return cmp(a.keepalive.detectInMs ?? Int64.max, b.keepalive.detectInMs ?? Int64.max)
    case .risk:
      let c = cmp(a.worstSeverity?.rawValue ?? -1, b.worstSeverity?.rawValue ?? -1)
      return c != 0 ? c : cmp(a.idleMs ?? 0, b.idleMs ?? 0)
    }
  }

  static func cmpEndpoint(_ a: Endpoint, _ b: Endpoint) -> Int {
    let ka = Format.addressKey(a.address), kb = Format.addressKey(b.address)
    let c = ka < kb ? -1 : (ka > kb ? 1 : 0)
    return c != 0 ? c : cmp(a.port, b.port)
  }
}
