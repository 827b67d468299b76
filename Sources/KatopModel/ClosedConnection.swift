// A connection that died, joined by cookie to what katop knew of it while it lived: owner,
// settings, first sighting, budget, risks. Built by `ConnectionStore.closedConnection(for:)`;
// shown by the TUI's Closed view and written by `katop log` (docs/log.md).

public struct ClosedConnection: Sendable, Hashable {
  public var cookie: UInt64
  public var family: UInt8
  public var local: Endpoint
  public var remote: Endpoint
  /// Monotonic ms of the destroy message.
  public var closedAtMs: UInt64
  public var cause: DeathCause
  public var evidence: String
  /// Whether katop had seen the socket alive (otherwise only the message's fields are known).
  public var known: Bool
  /// The state katop last saw it in.
  public var lastState: TCPState?
  public var owner: Owner?
  /// Its keepalive settings as katop knew them.
  public var keepalive: KeepaliveState?
  /// ms from the first sighting to the death; `lifetimeAtLeast`: it was already open when katop
  /// started, so it lived longer.
  public var lifetimeMs: UInt64?
  public var lifetimeAtLeast: Bool
  /// ms since data last crossed the flow either way at the free (min(last_data_recv,
  /// last_data_sent): the FIN exchange of an orderly close and unanswered probes do not count).
  public var idleMs: UInt64?
  /// The path's budget: seconds, its name (aws, path rule's profile) and where it came from.
  public var budgetSeconds: Int?
  public var budgetName: String?
  public var budgetSource: BudgetSource?
  /// The risk rules that fired on it when last seen.
  public var risks: [RiskRule]
  /// tcp_info at the free: keepalive probes out, retransmissions of the head segment, bytes.
  public var probes: Int
  public var retransmits: Int
  public var bytesAcked: UInt64?
  public var bytesReceived: UInt64?

  /// `died after 351 s idle on a 350 s aws budget, no keepalive`: the idle at death against the
  /// budget and the keepalive it had.
  public var idleAgainstBudget: String {
    var parts: [String] = []
    if let idle = idleMs {
      let budget: String
      if let s = budgetSeconds {
        budget = " on a \(s) s " + (budgetName.map { $0 + " " } ?? "") + "budget"
      } else if budgetSource == BudgetSource.none {
        budget = " (no middlebox budget: local)"
      } else {
        budget = ""
      }
      parts.append("died after \(DeathClassifier.seconds(idle)) idle" + budget)
    }
    if let ka = keepalive {
      switch ka.enabled {
      case true?: parts.append("keepalive \(ka.idleSeconds)/\(ka.intervalSeconds)/\(ka.probes)")
      case false?: parts.append("no keepalive")
      case nil: parts.append("keepalive unknown")
      }
    }
    return parts.joined(separator: ", ")
  }

  static func dataIdleMs(_ r: SocketRecord) -> UInt64? {
    switch (r.info?.lastDataRecvMs, r.info?.lastDataSentMs) {
    case let (recv?, sent?): return UInt64(min(recv, sent))
    case let (one?, nil), let (nil, one?): return UInt64(one)
    case (nil, nil): return nil
    }
  }

  /// One line: cause evidence, then idle against the budget.
  public var summary: String {
    let tail = idleAgainstBudget
    return tail.isEmpty ? evidence : evidence + "; " + tail
  }
}

extension ConnectionStore {
  /// The death joined to the row of the same cookie (open or lingering), classified.
  public func closedConnection(for death: SocketDeath, kill: KatopKill?, counters: AbortCounters?) -> ClosedConnection {
    let r = death.record
    let row = slot(of: death.record.cookie).map { rows[$0] } ?? departed[death.record.cookie]
    let known = row?.connection
    let (cause, evidence) = DeathClassifier.classify(death, known: known, system: system, kill: kill, counters: counters)
    var lifetime: UInt64?
    var atLeast = false
    if let row {
      if let first = row.firstSeenMs {
        lifetime = death.receivedAtMs &- min(first, death.receivedAtMs)
      } else if let start = baselineAtMs {
        lifetime = death.receivedAtMs &- min(start, death.receivedAtMs)
        atLeast = true
      }
    }
    let (budgetProfile, source) = flow?.budget(for: r.remote.address) ?? (profile, .profile)
    return ClosedConnection(
      cookie: r.cookie, family: r.family, local: r.local, remote: r.remote, closedAtMs: death.receivedAtMs,
      cause: cause, evidence: evidence, known: row != nil, lastState: known?.record.state, owner: known?.owner,
      keepalive: known?.keepalive, lifetimeMs: lifetime, lifetimeAtLeast: atLeast, idleMs: ClosedConnection.dataIdleMs(r),
      budgetSeconds: budgetProfile?.idleTimeoutSeconds, budgetName: budgetProfile?.name, budgetSource: source,
      risks: known?.risks.map(\.id) ?? [], probes: Int(r.info?.probes ?? 0), retransmits: Int(r.info?.retransmits ?? 0),
      bytesAcked: r.info?.bytesAcked, bytesReceived: r.info?.bytesReceived)
  }
}

/// The last `capacity` rows the store freed, by cookie: bounded whatever the churn.
public struct DepartedRows: Sendable {
  public static let capacity = 4096
  private var byKey: [UInt64: StoredConnection] = [:]
  private var order: [UInt64] = []
  private var next = 0

  public init() {}

  public var count: Int { byKey.count }
  public subscript(key: UInt64) -> StoredConnection? { byKey[key] }

  mutating func keep(_ row: StoredConnection) {
    let key = row.key
    if byKey.updateValue(row, forKey: key) != nil { return }
    if order.count < DepartedRows.capacity {
      order.append(key)
      return
    }
    byKey[order[next]] = nil
    order[next] = key
    next = (next + 1) % DepartedRows.capacity
  }
}
