// Counts over one snapshot's connections, without the rows: the data behind `--summary`,
// `--check` and `--format prometheus` (one pass, so the three agree with each other and with the
// JSON of the same snapshot).

public struct Summary: Sendable {
  /// One bucket of a bounded label set: the top-N values plus `other`.
  public struct Bucket: Hashable, Sendable {
    public var label: String
    public var count: Int
  }

  /// Connections per kernel state (every TCPState, zeros included), in TCPState order.
  public var byState: [(state: TCPState, count: Int)]
  /// Worst-severity and keepalive counts, as in the table header.
  public var counts: ConnectionCounts
  /// Connections each rule fires on, per severity (a connection with two risks counts twice).
  public var byRule: [RiskKey: Int]
  /// Top owner commands (connections without a known owner under `-`), then `other`.
  public var byOwner: [Bucket]
  /// Top remote ports of non-listening sockets, then `other`.
  public var byRemotePort: [Bucket]
  /// Top remote addresses of non-listening sockets, then `other`.
  public var byRemoteAddress: [Bucket]
  /// The soonest middlebox cut among ESTABLISHED connections whose keepalive does not beat the
  /// profile's idle timeout: timeout minus idle time, 0 when overdue; nil when no flow qualifies.
  /// Assumed: it takes the profile's timeout as the path's (docs/prometheus.md).
  public var soonestCutInMs: Int64?

  public struct RiskKey: Hashable, Sendable, Comparable {
    public var rule: String
    public var severity: Severity
    public static func < (a: RiskKey, b: RiskKey) -> Bool {
      (a.rule, a.severity.rawValue) < (b.rule, b.severity.rawValue)
    }
  }

  /// `flow`: the path budgets the rows were judged against; the soonest cut is then each flow's
  /// own cut in (FlowBudget), else the profile's timeout minus the idle time.
  public init(_ connections: [Connection], profile: MiddleboxProfile, top: Int = 10, flow: FlowContext? = nil) {
    var states = [Int](repeating: 0, count: TCPState.allCases.count)
    var rules: [RiskKey: Int] = [:]
    var owners: [String: Int] = [:]
    var ports: [String: Int] = [:]
    var addresses: [String: Int] = [:]
    var soonest: Int64?
    let timeoutMs = Int64(profile.idleTimeoutSeconds) * 1000
    for c in connections {
      if let i = TCPState.allCases.firstIndex(of: c.record.state) { states[i] += 1 }
      for risk in c.risks { rules[RiskKey(rule: risk.id.rawValue, severity: risk.severity), default: 0] += 1 }
      owners[c.owner?.command ?? "-", default: 0] += 1
      if c.record.state != .listen {
        ports[String(c.record.remote.port), default: 0] += 1
        addresses[Format.address(c.record.remote.address), default: 0] += 1
      }
      let cut = flow.map { FlowBudget.verdict(c, context: $0).cutInMs } ?? Summary.cutInMs(c, timeoutMs: timeoutMs)
      if let cut, c.record.state == .established { soonest = min(soonest ?? cut, cut) }
    }
    byState = zip(TCPState.allCases, states).map { ($0, $1) }
    counts = ConnectionCounts(connections)
    byRule = rules
    byOwner = Summary.topBuckets(owners, top: top)
    byRemotePort = Summary.topBuckets(ports, top: top)
    byRemoteAddress = Summary.topBuckets(addresses, top: top)
    soonestCutInMs = soonest
  }

  /// Time until the middlebox forgets an idle ESTABLISHED flow that keepalive does not refresh in
  /// time (off, or first probe at or after the timeout); nil otherwise.
  static func cutInMs(_ c: Connection, timeoutMs: Int64) -> Int64? {
    guard c.record.state == .established, let idle = c.idleMs else { return nil }
    let keepaliveBeatsIt = c.keepalive.enabled == true && Int64(c.keepalive.idleSeconds) * 1000 < timeoutMs
    if keepaliveBeatsIt { return nil }
    return max(0, timeoutMs - Int64(clamping: idle))
  }

  /// The `top` largest counts (ties by label), then `other` with the rest when any is left.
  static func topBuckets(_ counts: [String: Int], top: Int) -> [Bucket] {
    let sorted = counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
    var out = sorted.prefix(max(0, top)).map { Bucket(label: $0.key, count: $0.value) }
    let rest = sorted.dropFirst(max(0, top)).reduce(0) { $0 + $1.value }
    if rest > 0 { out.append(Bucket(label: "other", count: rest)) }
    return out
  }

  /// Risks per severity over all rules (what `--check` reports).
  public func risks(_ severity: Severity) -> Int {
    byRule.reduce(0) { $0 + ($1.key.severity == severity ? $1.value : 0) }
  }
}
