// Risks judged per flow against its path's budget (docs/risks.md): each row's middlebox rules see
// the budget its remote address gets, and a flow the peer's probes or traffic keep alive, or one
// that crosses no middlebox, raises no idle-timeout risk.

extension MiddleboxProfile {
  /// The budget of a flow that crosses no middlebox (or is kept alive otherwise): never runs out.
  public static let noMiddlebox = MiddleboxProfile.custom(seconds: Int(Int32.max), summary: "no middlebox on this path")
}

extension Analyzer {
  /// Re-evaluates every row's risks against its own flow budget (`context`).
  public static func reevaluate(_ connections: inout [Connection], context: FlowContext, system: SystemInfo?) {
    let customIndex = RiskText.profileIndex(.custom(seconds: 0))
    for i in connections.indices {
      reevaluate(&connections[i], context: context, system: system, customIndex: customIndex)
    }
  }

  /// One row's risks against its own flow budget (the TUI's store calls this in place).
  /// `watched`: the row's own watched entry (nil: the context's activity table).
  public static func reevaluate(
    _ c: inout Connection, context: FlowContext, system: SystemInfo?, customIndex: UInt8?, watched: FlowActivity.Entry? = nil
  ) {
    let v = FlowBudget.verdict(c, context: context, watched: watched)
    var profile = v.profile ?? .noMiddlebox
    if v.budget == .conntrack, let e = v.conntrack {
      // The entry's whole timeout: the idle it has seen plus the seconds it has left.
      profile = .conntrack(establishedTimeout: Int((v.idleMs ?? 0) / 1000) + e.timeoutSeconds)
    }
    if v.keptAliveBy == .peer || v.keptAliveBy == .traffic { profile = .noMiddlebox }
    // Same budget as the table-wide evaluation: leave the row as it is.
    if v.budget == context.profileSource, profile == context.profile { return }
    let index = RiskText.profileIndex(profile) ?? customIndex
    c.evaluateRisks(profile: profile, index: index, system: system)
    if let risk = RiskRules.conntrackExpiresFirst(c, v) { c.risks = [risk] + c.risks }
  }
}

extension RiskRules {
  /// `conntrack-expires-first`: keepalive is on, but this host's conntrack entry runs out before
  /// the next probe can refresh it (the flow is forgotten here, whatever the path beyond).
  static func conntrackExpiresFirst(_ c: Connection, _ v: FlowVerdict) -> Risk? {
    guard c.record.state == .established, v.budget == .conntrack, v.keptAliveBy == nil, c.keepalive.enabled == true,
      let entry = v.conntrack, let arrives = v.keepaliveArrivesMs
    else { return nil }
    let whole = Int((v.idleMs ?? 0) / 1000) + entry.timeoutSeconds
    let severity: Severity = entry.timeoutSeconds * 10 < whole ? .critical : .warning
    return Risk(
      id: .conntrackExpiresFirst, severity: severity,
      message: "conntrack entry expires in \(entry.timeoutSeconds)s, the next keepalive probe arrives in \(Format.duration(ms: arrives)) at worst: this host forgets the flow first",
      fix: "keep keepidle below nf_conntrack_tcp_timeout_established (\(whole)s here) minus the timer-wheel margin, or raise that sysctl in this network namespace")
  }
}
