// The analysed view of one socket: what katop shows and serialises.

public enum SettingsSource: String, Sendable, Codable {
  /// Read from the socket with pidfd_getfd + getsockopt.
  case socket
  /// Assumed from the namespace's tcp_keepalive_* sysctls.
  case system
  /// SO_KEEPALIVE known off from the kernel's timers (no keepalive timer pending in a state that
  /// would have one), so the socket was not read: the other values are the sysctls.
  case timer
  /// keepidle inferred without root from the pending keepalive timer (keepalive idle + time to
  /// expiry, no probe out); interval and count are the sysctls.
  case inferred
}

public struct KeepaliveState: Hashable, Sendable {
  // Stored narrow (48 bytes instead of 88: 100k of these live in each row table,
  // docs/performance.md); the public properties keep their Int / Int64 types. `probes`,
  // `userTimeoutMs` and `probesOut` are clamped to Int32 (the kernel's are a C int, an int and a
  // u8); the seconds keep their full width.
  private var storedDetectInMs: Int64 = 0
  private var storedNextProbeInMs: Int64 = 0
  private var storedIdleSeconds: Int64 = 0
  private var storedIntervalSeconds: Int64 = 0
  private var storedProbes: Int32 = 0
  private var storedUserTimeoutMs: Int32 = 0
  private var storedProbesOut: Int32 = 0
  /// 0 false, 1 true, 2 unknown.
  private var storedEnabled: UInt8 = 2
  /// Bit 0: userTimeoutMs known; bit 1: detectInMs known; bit 2: nextProbeInMs known.
  private var present: UInt8 = 0
  public var source: SettingsSource

  /// true / false, or nil when another timer hides the keepalive timer and the socket could not
  /// be inspected.
  public var enabled: Bool? {
    get { storedEnabled == 2 ? nil : storedEnabled == 1 }
    set { storedEnabled = newValue.map { $0 ? 1 : 0 } ?? 2 }
  }
  public var idleSeconds: Int {
    get { Int(storedIdleSeconds) }
    set { storedIdleSeconds = Int64(newValue) }
  }
  public var intervalSeconds: Int {
    get { Int(storedIntervalSeconds) }
    set { storedIntervalSeconds = Int64(newValue) }
  }
  public var probes: Int {
    get { Int(storedProbes) }
    set { storedProbes = Int32(clamping: newValue) }
  }
  /// TCP_USER_TIMEOUT in ms (0 = unset); only known when read from the socket.
  public var userTimeoutMs: Int? {
    get { present & 1 != 0 ? Int(storedUserTimeoutMs) : nil }
    set {
      storedUserTimeoutMs = Int32(clamping: newValue ?? 0)
      present = newValue == nil ? present & ~1 : present | 1
    }
  }
  /// Keepalive probes sent and not answered.
  public var probesOut: Int {
    get { Int(storedProbesOut) }
    set { storedProbesOut = Int32(clamping: newValue) }
  }
  /// Milliseconds until a dead, silent peer would be detected (keepalive or retransmission);
  /// nil when it would never be detected (keepalive off and nothing in flight).
  public var detectInMs: Int64? {
    get { present & 2 != 0 ? storedDetectInMs : nil }
    set {
      storedDetectInMs = newValue ?? 0
      present = newValue == nil ? present & ~2 : present | 2
    }
  }
  /// Milliseconds until the next keepalive probe would be sent; nil when keepalive is off/unknown.
  public var nextProbeInMs: Int64? {
    get { present & 4 != 0 ? storedNextProbeInMs : nil }
    set {
      storedNextProbeInMs = newValue ?? 0
      present = newValue == nil ? present & ~4 : present | 4
    }
  }

  public init(
    enabled: Bool?, idleSeconds: Int, intervalSeconds: Int, probes: Int, userTimeoutMs: Int?,
    source: SettingsSource, probesOut: Int = 0, detectInMs: Int64? = nil, nextProbeInMs: Int64? = nil
  ) {
    self.source = source
    self.enabled = enabled
    self.idleSeconds = idleSeconds
    self.intervalSeconds = intervalSeconds
    self.probes = probes
    self.userTimeoutMs = userTimeoutMs
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
  /// Stable id (`no-keepalive`, `keepalive-too-slow` ...: `id.rawValue`); docs/risks.md.
  public var id: RiskRule
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
  public init(id: RiskRule, severity: Severity, message: String, fix: String) {
    self.init(id: id, severity: severity, text: .stored(StoredRiskText(message: message, fix: fix)))
  }
  init(id: RiskRule, severity: Severity, text: RiskText) {
    self.id = id
    self.text = text
    self.severity = severity
  }
}

/// One analysed socket.
///
/// Risks are not stored per row (100k rows with an array each cost ~11 MB per table and fragment
/// the heap, docs/performance.md): `Analyzer` records the profile they were evaluated for
/// and their worst severity, and `risks` evaluates the rules again when read (the renderer reads
/// only the visible rows). Changing `record`, `owner`, `keepalive` or `idleMs` first pins the
/// risks as they were, so a Connection behaves exactly as if its risks had been stored.
public struct Connection: Sendable {
  public private(set) var record: SocketRecord
  // The next four fields fill the record's tail padding and alignment gap.
  /// How `risks` is known: see `RiskBasis`.
  var riskBasis = RiskBasis()
  var riskProfileIndex: UInt8 = 0
  var hasIdleMs = false
  var riskProfileTimeout: Int32 = 0
  public private(set) var keepalive: KeepaliveState
  public private(set) var owner: Owner?
  private var storedIdleMs: UInt64 = 0
  /// The risks when set explicitly (`init`, the setter, or pinned); empty while they are evaluated.
  private var storedRisks: [Risk]

  public init(record: SocketRecord, owner: Owner?, keepalive: KeepaliveState, idleMs: UInt64?, risks: [Risk]) {
    self.record = record
    self.owner = owner
    self.keepalive = keepalive
    self.storedRisks = risks
    self.hasIdleMs = idleMs != nil
    self.storedIdleMs = idleMs ?? 0
  }

  /// Idle time as the keepalive timer sees it: min(last_data_recv, last_ack_recv); nil without tcp_info.
  public var idleMs: UInt64? { hasIdleMs ? storedIdleMs : nil }

  /// Every risk rule that fires, most severe first.
  public var risks: [Risk] {
    get {
      guard riskBasis.evaluated else { return storedRisks }
      return RiskRules.evaluate(
        self, profile: riskProfile, profileIndex: riskProfileIndex,
        systemKeepaliveTime: riskBasis.keepidleIsSystemTime ? keepalive.idleSeconds : nil)
    }
    set {
      storedRisks = newValue
      riskBasis = RiskBasis()
    }
  }

  /// Identity across refreshes: the kernel's socket cookie.
  public var id: UInt64 { record.cookie }
  public var worstSeverity: Severity? {
    if riskBasis.evaluated { return riskBasis.worst }
    var worst: Severity?
    for r in storedRisks where worst.map({ r.severity > $0 }) ?? true { worst = r.severity }
    return worst
  }
  /// True when at least one risk rule fires (no risk texts are built).
  public var hasRisks: Bool { worstSeverity != nil }

  /// Sets the risks to the rules' verdict for `profile` and `system` without storing them: they
  /// are evaluated again when read. A profile that cannot be recorded compactly (a name not among
  /// the built-in ones and `custom`) gets its risks stored. `index`:
  /// `RiskText.profileIndex(profile)`, looked up once per table by `Analyzer`.
  mutating func evaluateRisks(profile: MiddleboxProfile, index: UInt8?, system: SystemInfo?) {
    guard let index, let timeout = Int32(exactly: profile.idleTimeoutSeconds) else {
      risks = RiskRules.evaluate(self, profile: profile, profileIndex: index, systemKeepaliveTime: system?.keepaliveTime)
      return
    }
    let systemTime = system?.keepaliveTime
    storedRisks = []
    riskProfileIndex = index
    riskProfileTimeout = timeout
    riskBasis = RiskBasis(
      evaluated: true, keepidleIsSystemTime: systemTime == keepalive.idleSeconds,
      worst: RiskRules.worstSeverity(self, profile: profile, profileIndex: index, systemKeepaliveTime: systemTime))
  }

  /// The profile recorded by `evaluateRisks` (only the name and timeout matter to the rules).
  var riskProfile: MiddleboxProfile {
    let names = RiskText.profileNames
    let name = names.indices.contains(Int(riskProfileIndex)) ? names[Int(riskProfileIndex)] : "custom"
    return MiddleboxProfile(name: name, idleTimeoutSeconds: Int(riskProfileTimeout), summary: "")
  }
}

/// One byte: whether a Connection's risks are evaluated on read, and what it must remember for that.
struct RiskBasis: Hashable, Sendable {
  private var bits: UInt8 = 0
  init() {}
  init(evaluated: Bool, keepidleIsSystemTime: Bool, worst: Severity?) {
    bits = (evaluated ? 1 : 0) | (keepidleIsSystemTime ? 2 : 0) | UInt8((worst?.rawValue ?? -1) + 1) << 2
  }
  /// True: `risks` are the rules' verdict for the recorded profile, evaluated on read.
  var evaluated: Bool { bits & 1 != 0 }
  /// The system's tcp_keepalive_time equalled keepalive.idleSeconds (the fix then names the sysctl).
  var keepidleIsSystemTime: Bool { bits & 2 != 0 }
  var worst: Severity? { Severity(rawValue: Int(bits >> 2) - 1) }
}

extension Connection: Hashable {
  /// Equal when every public field is, however the risks are held.
  public static func == (a: Connection, b: Connection) -> Bool {
    a.record == b.record && a.owner == b.owner && a.keepalive == b.keepalive && a.idleMs == b.idleMs
      && a.risks == b.risks
  }
  public func hash(into hasher: inout Hasher) {
    hasher.combine(record)
    hasher.combine(owner)
    hasher.combine(keepalive)
    hasher.combine(idleMs)
    hasher.combine(risks)
  }
}
