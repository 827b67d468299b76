// Risk texts built on demand. A Risk stores the few numbers its message and fix name (packed into
// RiskText) and formats them only when read (JSON, detail view), so analysing 100k risky rows
// allocates no strings. The texts are exactly those the rules used to build eagerly
// (Tests/KatopModelTests/RiskTextTests.swift pins them).

/// The owner as the risk texts name it: `command (pid N)`, or "the owning process" when unknown.
/// Keeps a reference to the owner's command string, so it copies without allocating.
struct RiskOwner: Hashable, Sendable {
  var command: String?
  var pid: Int32
  init(_ owner: Owner?) {
    command = owner?.command
    pid = owner?.pid ?? 0
  }
}

/// A message and fix given as text (`Risk.init(id:severity:message:fix:)`, or values too wide for
/// the packed cases). A class keeps RiskText, and so Risk, small.
final class StoredRiskText: Hashable, Sendable {
  let message: String
  let fix: String
  init(message: String, fix: String) {
    self.message = message
    self.fix = fix
  }
  static func == (a: StoredRiskText, b: StoredRiskText) -> Bool { a.message == b.message && a.fix == b.fix }
  func hash(into h: inout Hasher) {
    h.combine(message)
    h.combine(fix)
  }
}

/// The inputs of one risk's message and fix. Numbers are narrowed to what the kernel can report
/// (Int32); a value that does not fit, or a profile not named in `profileNames`, falls back to
/// `.stored` texts built at once, so every input still gives the same text.
enum RiskText: Hashable, Sendable {
  case stored(StoredRiskText)
  /// `idleMs` is >= half the timeout.
  case noKeepalive(owner: RiskOwner, timeoutSeconds: Int32, idleMs: UInt64, profile: UInt8)
  /// `idleMs` is set only once idle >= the timeout (critical).
  case keepaliveTooSlow(
    owner: RiskOwner, keepidleSeconds: Int32, idleMs: UInt64?, timeoutSeconds: Int32, profile: UInt8,
    systemDefault: Bool, fixFromSystem: Bool)
  case probesUnanswered(owner: RiskOwner, probesOut: Int32, detectInMs: Int64?, probes: Int32, intervalSeconds: Int32)
  /// `userTimeoutMs` is TCP_USER_TIMEOUT or 0 when unset / unknown.
  case retransmitting(count: Int32, sendQueue: UInt32, detectInMs: Int64?, rtoUs: UInt32?, userTimeoutMs: Int32)
  /// `persistProbes` is nil when the window is seen closed without the zero-window probe timer.
  case zeroWindow(owner: RiskOwner, persistProbes: Int32?, sendQueue: UInt32)
  case closeWait(owner: RiskOwner, recvQueue: UInt32, idleMs: UInt64?)

  /// Profile names a packed case can refer to by index: the built-in profiles and `custom`.
  static let profileNames: [String] = MiddleboxProfile.all.map(\.name) + [MiddleboxProfile.custom(seconds: 0).name]

  static func profileIndex(_ p: MiddleboxProfile) -> UInt8? {
    profileNames.firstIndex(of: p.name).flatMap { UInt8(exactly: $0) }
  }

  var message: String {
    switch self {
    case .stored(let s): return s.message
    case .noKeepalive(_, let timeout, let idle, let profile):
      return Self.noKeepaliveMessage(idleMs: idle, profileName: Self.profileNames[Int(profile)], timeoutSeconds: Int(timeout))
    case .keepaliveTooSlow(_, let keepidle, let idle, let timeout, let profile, let systemDefault, _):
      return Self.keepaliveTooSlowMessage(
        keepidleSeconds: Int(keepidle), systemDefault: systemDefault, profileName: Self.profileNames[Int(profile)],
        timeoutSeconds: Int(timeout), idleMs: idle)
    case .probesUnanswered(_, let out, let detect, let probes, let interval):
      return Self.probesUnansweredMessage(probesOut: Int(out), probes: Int(probes), intervalSeconds: Int(interval), detectInMs: detect)
    case .retransmitting(let count, let sendQueue, let detect, let rtoUs, _):
      return Self.retransmittingMessage(count: Int(count), rtoUs: rtoUs, sendQueue: sendQueue, detectInMs: detect)
    case .zeroWindow(_, let probes, let sendQueue):
      return Self.zeroWindowMessage(persistProbes: probes.map(Int.init), sendQueue: sendQueue)
    case .closeWait(let owner, let recvQueue, let idle):
      return Self.closeWaitMessage(owner: owner, idleMs: idle, recvQueue: recvQueue)
    }
  }

  var fix: String {
    switch self {
    case .stored(let s): return s.fix
    case .noKeepalive(let owner, let timeout, _, _):
      return FixAdvisor.enableKeepalive(owner, timeoutSeconds: Int(timeout))
    case .keepaliveTooSlow(let owner, let keepidle, _, let timeout, _, _, let fromSystem):
      return FixAdvisor.shortenKeepidle(owner, keepidleSeconds: Int(keepidle), fromSystem: fromSystem, timeoutSeconds: Int(timeout))
    case .probesUnanswered(let owner, _, _, _, _): return FixAdvisor.probesUnanswered(owner)
    case .retransmitting(_, _, _, _, let userTimeoutMs): return FixAdvisor.retransmitting(userTimeoutMs: Int(userTimeoutMs))
    case .zeroWindow(let owner, _, _): return FixAdvisor.zeroWindow(owner)
    case .closeWait(let owner, _, _): return FixAdvisor.closeWait(owner)
    }
  }
}

// Packing: the rules hand over full-width values; these narrow them or fall back to `.stored`.
extension RiskText {
  /// `profileIndex`: `profileIndex(p)`, looked up once by the caller.
  static func noKeepalive(owner: Owner?, idleMs: UInt64, profile p: MiddleboxProfile, profileIndex: UInt8?) -> RiskText {
    let owner = RiskOwner(owner)
    if let timeout = Int32(exactly: p.idleTimeoutSeconds), let index = profileIndex {
      return .noKeepalive(owner: owner, timeoutSeconds: timeout, idleMs: idleMs, profile: index)
    }
    return .stored(StoredRiskText(
      message: noKeepaliveMessage(idleMs: idleMs, profileName: p.name, timeoutSeconds: p.idleTimeoutSeconds),
      fix: FixAdvisor.enableKeepalive(owner, timeoutSeconds: p.idleTimeoutSeconds)))
  }

  static func keepaliveTooSlow(
    owner: Owner?, keepidleSeconds: Int, systemDefault: Bool, idleMs: UInt64?, profile p: MiddleboxProfile,
    profileIndex: UInt8?, fixFromSystem: Bool
  ) -> RiskText {
    let owner = RiskOwner(owner)
    if let keepidle = Int32(exactly: keepidleSeconds), let timeout = Int32(exactly: p.idleTimeoutSeconds),
      let index = profileIndex
    {
      return .keepaliveTooSlow(
        owner: owner, keepidleSeconds: keepidle, idleMs: idleMs, timeoutSeconds: timeout, profile: index,
        systemDefault: systemDefault, fixFromSystem: fixFromSystem)
    }
    return .stored(StoredRiskText(
      message: keepaliveTooSlowMessage(
        keepidleSeconds: keepidleSeconds, systemDefault: systemDefault, profileName: p.name,
        timeoutSeconds: p.idleTimeoutSeconds, idleMs: idleMs),
      fix: FixAdvisor.shortenKeepidle(
        owner, keepidleSeconds: keepidleSeconds, fromSystem: fixFromSystem, timeoutSeconds: p.idleTimeoutSeconds)))
  }

  static func probesUnanswered(owner: Owner?, probesOut: Int, probes: Int, intervalSeconds: Int, detectInMs: Int64?) -> RiskText {
    let owner = RiskOwner(owner)
    if let out = Int32(exactly: probesOut), let n = Int32(exactly: probes), let interval = Int32(exactly: intervalSeconds) {
      return .probesUnanswered(owner: owner, probesOut: out, detectInMs: detectInMs, probes: n, intervalSeconds: interval)
    }
    return .stored(StoredRiskText(
      message: probesUnansweredMessage(probesOut: probesOut, probes: probes, intervalSeconds: intervalSeconds, detectInMs: detectInMs),
      fix: FixAdvisor.probesUnanswered(owner)))
  }

  static func retransmitting(count: Int, rtoUs: UInt32?, sendQueue: UInt32, detectInMs: Int64?, userTimeoutMs: Int?) -> RiskText {
    if let n = Int32(exactly: count), let userTimeout = Int32(exactly: userTimeoutMs ?? 0) {
      return .retransmitting(count: n, sendQueue: sendQueue, detectInMs: detectInMs, rtoUs: rtoUs, userTimeoutMs: userTimeout)
    }
    return .stored(StoredRiskText(
      message: retransmittingMessage(count: count, rtoUs: rtoUs, sendQueue: sendQueue, detectInMs: detectInMs),
      fix: FixAdvisor.retransmitting(userTimeoutMs: userTimeoutMs)))
  }

  static func zeroWindow(owner: Owner?, persistProbes: UInt8?, sendQueue: UInt32) -> RiskText {
    .zeroWindow(owner: RiskOwner(owner), persistProbes: persistProbes.map(Int32.init), sendQueue: sendQueue)
  }

  static func closeWait(owner: Owner?, recvQueue: UInt32, idleMs: UInt64?) -> RiskText {
    .closeWait(owner: RiskOwner(owner), recvQueue: recvQueue, idleMs: idleMs)
  }
}

// The messages (fixes: FixAdvisor).
extension RiskText {
  static func timeoutText(_ profileName: String, _ timeoutSeconds: Int) -> String { "\(profileName) \(timeoutSeconds)s idle timeout" }

  static func idleText(_ ms: UInt64) -> String { Format.duration(ms: Int64(clamping: ms)) }

  static func noKeepaliveMessage(idleMs idle: UInt64, profileName: String, timeoutSeconds: Int) -> String {
    let timeoutMs = UInt64(max(timeoutSeconds, 0)) * 1000
    let timeout = timeoutText(profileName, timeoutSeconds)
    if idle >= timeoutMs {
      let cmp = idle > timeoutMs ? ">" : ">="
      return "idle \(idleText(idle)) \(cmp) \(timeout), no keepalive: the middlebox has likely dropped this flow"
    }
    return "idle \(idleText(idle)) of \(timeout), no keepalive: dropped if idle \(idleText(timeoutMs - idle)) more"
  }

  static func keepaliveTooSlowMessage(
    keepidleSeconds: Int, systemDefault: Bool, profileName: String, timeoutSeconds: Int, idleMs: UInt64?
  ) -> String {
    let origin = systemDefault ? " (system default)" : ""
    var message = "first keepalive probe after \(keepidleSeconds)s idle\(origin) >= \(timeoutText(profileName, timeoutSeconds))"
    if let idle = idleMs {
      message += ", idle \(idleText(idle)) already: the middlebox has likely dropped this flow"
    } else {
      message += ": the middlebox forgets the flow first"
    }
    return message
  }

  static func probesUnansweredMessage(probesOut: Int, probes: Int, intervalSeconds: Int, detectInMs: Int64?) -> String {
    var message = "\(probesOut) of \(probes) keepalive probes unanswered (every \(intervalSeconds)s)"
    if let d = detectInMs { message += ": declared dead in \(Format.duration(ms: d)) unless the peer answers" }
    return message
  }

  static func retransmittingMessage(count: Int, rtoUs: UInt32?, sendQueue: UInt32, detectInMs: Int64?) -> String {
    var message = "\(count) retransmission timeouts unanswered"
    if let us = rtoUs { message += " (rto \(Format.duration(ms: Int64(us) / 1000)))" }
    if sendQueue > 0 { message += ", send-q \(sendQueue)" }
    message += ": peer or path not acknowledging"
    if let d = detectInMs { message += ", abort in ~\(Format.duration(ms: d))" }
    return message
  }

  static func zeroWindowMessage(persistProbes: Int?, sendQueue: UInt32) -> String {
    var message = "peer advertises a zero window"
    message += persistProbes.map { " (\($0) zero-window probes out" } ?? " (snd_wnd 0"
    message += ", send-q \(sendQueue)): the peer application is not reading"
    return message
  }

  static func closeWaitMessage(owner: RiskOwner, idleMs: UInt64?, recvQueue: UInt32) -> String {
    var message = "peer closed the connection; \(FixAdvisor.ownerName(owner)) has not closed its socket"
    var details: [String] = []
    if let idle = idleMs { details.append("idle \(idleText(idle))") }
    if recvQueue > 0 { details.append("recv-q \(recvQueue) unread") }
    if !details.isEmpty { message += " (" + details.joined(separator: ", ") + ")" }
    return message
  }
}
