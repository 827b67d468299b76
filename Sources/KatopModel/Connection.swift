// The analysed view of one socket: what katop shows and serialises.

public enum SettingsSource: String, Sendable, Codable {
  /// Read from the socket with pidfd_getfd + getsockopt.
  case socket
  /// Assumed from the namespace's tcp_keepalive_* sysctls.
  case system
  /// SO_KEEPALIVE known off from the kernel's timers (no keepalive timer pending in a state that
  /// would have one), so the socket was not read: the other values are the sysctls.
  case timer
}

public struct KeepaliveState: Hashable, Sendable {
  /// true / false, or nil when another timer hides the keepalive timer and the socket could not
  /// be inspected.
  public var enabled: Bool?
  public var idleSeconds: Int
  public var intervalSeconds: Int
  public var probes: Int
  /// TCP_USER_TIMEOUT in ms (0 = unset); only known when read from the socket.
  public var userTimeoutMs: Int?
  public var source: SettingsSource
  /// Keepalive probes sent and not answered.
  public var probesOut: Int
  /// Milliseconds until a dead, silent peer would be detected (keepalive or retransmission);
  /// nil when it would never be detected (keepalive off and nothing in flight).
  public var detectInMs: Int64?
  /// Milliseconds until the next keepalive probe would be sent; nil when keepalive is off/unknown.
  public var nextProbeInMs: Int64?

  public init(
    enabled: Bool?, idleSeconds: Int, intervalSeconds: Int, probes: Int, userTimeoutMs: Int?,
    source: SettingsSource, probesOut: Int = 0, detectInMs: Int64? = nil, nextProbeInMs: Int64? = nil
  ) {
    self.enabled = enabled
    self.idleSeconds = idleSeconds
    self.intervalSeconds = intervalSeconds
    self.probes = probes
    self.userTimeoutMs = userTimeoutMs
    self.source = source
    self.probesOut = probesOut
    self.detectInMs = detectInMs
    self.nextProbeInMs = nextProbeInMs
  }
}

public enum Severity: Int, Sendable, Comparable, Codable, CaseIterable {
  case info = 0, warning = 1, critical = 2
  public static func < (a: Severity, b: Severity) -> Bool { a.rawValue < b.rawValue }
  public var name: String {
    switch self {
    case .info: return "info"
    case .warning: return "warning"
    case .critical: return "critical"
    }
  }
}

public struct Risk: Hashable, Sendable {
  /// Stable id (`no-keepalive`, `keepalive-too-slow` ...); documented in docs/risks.md.
  public var id: String
  /// What `message` and `fix` are made of: the rule's numbers, formatted only when read
  /// (RiskText.swift), so evaluating risks allocates no strings. Laid out before `severity` so
  /// that byte packs into the enum's tail padding.
  var text: RiskText
  public var severity: Severity
  /// One line naming the numbers.
  public var message: String {
    get { text.message }
    set { text = .stored(StoredRiskText(message: newValue, fix: text.fix)) }
  }
  /// A concrete suggested fix.
  public var fix: String {
    get { text.fix }
    set { text = .stored(StoredRiskText(message: text.message, fix: newValue)) }
  }
  public init(id: String, severity: Severity, message: String, fix: String) {
    self.init(id: id, severity: severity, text: .stored(StoredRiskText(message: message, fix: fix)))
  }
  init(id: String, severity: Severity, text: RiskText) {
    self.id = id
    self.text = text
    self.severity = severity
  }
}

public struct Connection: Hashable, Sendable {
  public var record: SocketRecord
  public var owner: Owner?
  public var keepalive: KeepaliveState
  /// Idle time as the keepalive timer sees it: min(last_data_recv, last_ack_recv); nil without tcp_info.
  public var idleMs: UInt64?
  public var risks: [Risk]

  public init(record: SocketRecord, owner: Owner?, keepalive: KeepaliveState, idleMs: UInt64?, risks: [Risk]) {
    self.record = record
    self.owner = owner
    self.keepalive = keepalive
    self.idleMs = idleMs
    self.risks = risks
  }

  /// Identity across refreshes: the kernel's socket cookie.
  public var id: UInt64 { record.cookie }
  public var worstSeverity: Severity? {
    var worst: Severity?
    for r in risks where worst.map({ r.severity > $0 }) ?? true { worst = r.severity }
    return worst
  }
}
