// Risk rules (docs/risks.md): stable ids, thresholds from the middlebox profile, a message naming
// the numbers and a concrete fix.

public struct RiskRuleInfo: Hashable, Sendable {
  public var id: RiskRule
  /// The highest severity the rule can raise.
  public var severity: Severity
  public var title: String
  /// When it fires, in words (docs / help screen).
  public var threshold: String
  public init(id: RiskRule, severity: Severity, title: String, threshold: String) {
    self.id = id
    self.severity = severity
    self.title = title
    self.threshold = threshold
  }
}

public enum RiskRules {
  // Short names for the ids (RiskRule), as the rules and tests have always written them.
  public static let noKeepalive = RiskRule.noKeepalive
  public static let keepaliveTooSlow = RiskRule.keepaliveTooSlow
  public static let probesUnanswered = RiskRule.probesUnanswered
  public static let retransmitting = RiskRule.retransmitting
  public static let zeroWindow = RiskRule.zeroWindow
  public static let closeWait = RiskRule.closeWait

  /// Retransmission count from which `retransmitting` fires / turns critical.
  public static let retransmitWarningCount = 2
  public static let retransmitCriticalCount = 6
  /// Zero-window probes unanswered from which `zero-window` turns critical.
  public static let zeroWindowCriticalProbes = 3

  public static let all: [RiskRuleInfo] = [
    RiskRuleInfo(
      id: noKeepalive, severity: .critical, title: "idle connection without keepalive",
      threshold: "ESTABLISHED, keepalive off, idle >= 50% of the idle timeout (warning), >= timeout (critical)"),
    RiskRuleInfo(
      id: keepaliveTooSlow, severity: .critical, title: "first keepalive probe after the middlebox forgets",
      threshold: "ESTABLISHED, keepalive on, keepidle >= idle timeout (warning; critical once idle >= timeout)"),
    RiskRuleInfo(
      id: probesUnanswered, severity: .critical, title: "keepalive probes unanswered",
      threshold: "keepalive probes out > 0 (warning), >= probes - 1 (critical)"),
    RiskRuleInfo(
      id: retransmitting, severity: .critical, title: "data not acknowledged",
      threshold: "retransmissions or RTO backoff >= \(retransmitWarningCount) (warning), >= \(retransmitCriticalCount) (critical)"),
    RiskRuleInfo(
      id: zeroWindow, severity: .critical, title: "peer not reading (zero window)",
      threshold: "zero-window probe timer, or snd_wnd 0 with data queued (warning); >= \(zeroWindowCriticalProbes) probes unanswered (critical)"),
    RiskRuleInfo(
      id: closeWait, severity: .warning, title: "peer closed, local application did not",
      threshold: "state CLOSE_WAIT (warning)"),
    RiskRuleInfo(
      id: .conntrackExpiresFirst, severity: .critical, title: "this host's conntrack forgets the flow before keepalive refreshes it",
      threshold: "ESTABLISHED with a conntrack entry, not kept alive: keepalive on but its next probe arrives after the entry expires (warning; critical with under 10% of the entry's timeout left)"),
    RiskRuleInfo(
      id: .netnsDefaultKeepalive, severity: .warning, title: "a network namespace still on the kernel's keepalive defaults",
      threshold: "a namespace's tcp_keepalive_time/intvl/probes are 7200/75/9 while katop's own namespace (the host) is tuned (warning)"),
  ]

  public static func info(id: RiskRule) -> RiskRuleInfo? { all.first { $0.id == id } }
  public static func info(id: String) -> RiskRuleInfo? { RiskRule(rawValue: id).flatMap { info(id: $0) } }

  /// Every rule that fires for `c`, most severe first (ties keep the order of `all`).
  public static func evaluate(_ c: Connection, profile: MiddleboxProfile, system: SystemInfo? = nil) -> [Risk] {
    evaluate(c, profile: profile, profileIndex: RiskText.profileIndex(profile), systemKeepaliveTime: system?.keepaliveTime)
  }

  /// Runs every rule on `c` in the order of `all` and hands each risk that fires to `body`: the
  /// one list of checks `evaluate` and `worstSeverity` share. `profileIndex` is
  /// `RiskText.profileIndex(profile)`, looked up once per table (nil: texts are stored).
  static func forEachRisk(
    _ c: Connection, profile: MiddleboxProfile, profileIndex: UInt8?, systemKeepaliveTime: Int?,
    _ body: (Risk) -> Void
  ) {
    if let r = checkNoKeepalive(c, profile, profileIndex) { body(r) }
    if let r = checkKeepaliveTooSlow(c, profile, profileIndex, systemKeepaliveTime) { body(r) }
    if let r = checkProbesUnanswered(c) { body(r) }
    if let r = checkRetransmitting(c) { body(r) }
    if let r = checkZeroWindow(c) { body(r) }
    if let r = checkCloseWait(c) { body(r) }
  }

  /// The most severe risk that `evaluate` would return, without building the list.
  static func worstSeverity(
    _ c: Connection, profile: MiddleboxProfile, profileIndex: UInt8?, systemKeepaliveTime: Int?
  ) -> Severity? {
    var worst: Severity?
    forEachRisk(c, profile: profile, profileIndex: profileIndex, systemKeepaliveTime: systemKeepaliveTime) { r in
      if worst.map({ r.severity > $0 }) ?? true { worst = r.severity }
    }
    return worst
  }

  static func evaluate(
    _ c: Connection, profile: MiddleboxProfile, profileIndex: UInt8?, systemKeepaliveTime: Int?
  ) -> [Risk] {
    var risks: [Risk] = []  // empty arrays do not allocate: most rows stay that way
    forEachRisk(c, profile: profile, profileIndex: profileIndex, systemKeepaliveTime: systemKeepaliveTime) {
      risks.append($0)
    }
    // Stable insertion sort by severity only, in place (at most six elements, no extra arrays).
    for i in risks.indices.dropFirst() {
      var j = i
      while j > 0 && risks[j - 1].severity < risks[j].severity {
        risks.swapAt(j - 1, j)
        j -= 1
      }
    }
    return risks
  }

  static func checkNoKeepalive(_ c: Connection, _ p: MiddleboxProfile, _ profileIndex: UInt8?) -> Risk? {
    // Flow idle: the middlebox also sees the segments we send (min of the three last_* times).
    guard c.record.state == .established, c.keepalive.enabled == false, let idle = FlowBudget.kernelFlowIdleMs(c.record) else {
      return nil
    }
    let timeoutMs = UInt64(max(p.idleTimeoutSeconds, 0)) * 1000
    guard idle * 2 >= timeoutMs else { return nil }
    return Risk(
      id: noKeepalive, severity: idle >= timeoutMs ? .critical : .warning,
      text: .noKeepalive(owner: c.owner, idleMs: idle, profile: p, profileIndex: profileIndex))
  }

  static func checkKeepaliveTooSlow(
    _ c: Connection, _ p: MiddleboxProfile, _ profileIndex: UInt8?, _ systemKeepaliveTime: Int?
  ) -> Risk? {
    let ka = c.keepalive
    let timeoutMs = UInt64(max(p.idleTimeoutSeconds, 0)) * 1000
    // The first probe must arrive before the box forgets: keepidle + timer-wheel lateness + RTT.
    guard c.record.state == .established, ka.enabled == true,
      FlowBudget.keepaliveArrivalMs(keepidleSeconds: ka.idleSeconds, rttUs: c.record.info?.rttUs, hz: nil) >= Int64(timeoutMs)
    else {
      return nil
    }
    let idlePastTimeout = c.idleMs.flatMap { $0 >= timeoutMs ? $0 : nil }
    let fixFromSystem = ka.source == .system || ka.idleSeconds == systemKeepaliveTime
    return Risk(
      id: keepaliveTooSlow, severity: idlePastTimeout == nil ? .warning : .critical,
      text: .keepaliveTooSlow(
        owner: c.owner, keepidleSeconds: ka.idleSeconds,
        systemDefault: ka.source == .system || (ka.source == .inferred && ka.idleSeconds == systemKeepaliveTime), idleMs: idlePastTimeout,
        profile: p, profileIndex: profileIndex, fixFromSystem: fixFromSystem))
  }

  static func checkProbesUnanswered(_ c: Connection) -> Risk? {
    let ka = c.keepalive
    guard ka.probesOut > 0 else { return nil }
    // Critical when the next keepalive run gives up: the last probe is out, or (TCP_USER_TIMEOUT)
    // the idle time at that run reaches the user timeout (tcp_keepalive_timer's abort test).
    let nextRunIdleMs = c.idleMs.map { Int64(clamping: $0) + (c.record.timer == .keepalive ? KeepaliveMath.expiresMs(c.record) : 0) }
    let userTimeoutAborts = (ka.userTimeoutMs ?? 0) > 0 && nextRunIdleMs.map { $0 >= Int64(ka.userTimeoutMs ?? 0) } == true
    let severity: Severity = ka.probesOut >= ka.probes - 1 || userTimeoutAborts ? .critical : .warning
    return Risk(
      id: probesUnanswered, severity: severity,
      text: .probesUnanswered(
        owner: c.owner, probesOut: ka.probesOut, probes: ka.probes, intervalSeconds: ka.intervalSeconds,
        detectInMs: ka.detectInMs))
  }

  /// Retransmission count: the timer's count while it is the retransmit timer, tcp_info's
  /// retransmits, and the RTO backoff (not while zero-window probing, which also backs off).
  static func retransmitCount(_ r: SocketRecord) -> Int {
    var n = r.timer == .retransmit ? Int(r.timerCount) : 0
    if let x = r.info?.retransmits { n = max(n, Int(x)) }
    if r.timer != .persist, let b = r.info?.backoff { n = max(n, Int(b)) }
    return n
  }

  static func checkRetransmitting(_ c: Connection) -> Risk? {
    let r = c.record
    guard r.state != .listen, r.state != .timeWait, r.state != .newSynRecv else { return nil }
    let count = retransmitCount(r)
    guard count >= retransmitWarningCount else { return nil }
    let severity: Severity = count >= retransmitCriticalCount ? .critical : .warning
    return Risk(
      id: retransmitting, severity: severity,
      text: .retransmitting(
        count: count, rtoUs: r.info?.rtoUs, sendQueue: r.sendQueue, detectInMs: c.keepalive.detectInMs,
        userTimeoutMs: c.keepalive.userTimeoutMs))
  }

  static func checkZeroWindow(_ c: Connection) -> Risk? {
    let r = c.record
    guard KeepaliveMath.keepaliveApplies(r.state) else { return nil }
    let persist = r.timer == .persist
    let closedWindow = r.info?.sndWnd == 0 && r.sendQueue > 0
    guard persist || closedWindow else { return nil }
    let probes = persist ? Int(r.timerCount) : 0
    let severity: Severity = probes >= zeroWindowCriticalProbes ? .critical : .warning
    return Risk(
      id: zeroWindow, severity: severity,
      text: .zeroWindow(owner: c.owner, persistProbes: persist ? r.timerCount : nil, sendQueue: r.sendQueue))
  }

  static func checkCloseWait(_ c: Connection) -> Risk? {
    guard c.record.state == .closeWait else { return nil }
    return Risk(
      id: closeWait, severity: .warning,
      text: .closeWait(owner: c.owner, recvQueue: c.record.recvQueue, idleMs: c.idleMs))
  }
}
