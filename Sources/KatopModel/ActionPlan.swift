// What `katop set-keepalive` / `katop kill` (and the TUI's keys) will do and did: the plan, shown
// before anything changes, and one result per socket. Pure values; SockDiag carries them out.

/// Keepalive values to put on a live socket (SO_KEEPALIVE + TCP_KEEPIDLE/INTVL/CNT, optionally
/// TCP_USER_TIMEOUT).
public struct KeepaliveChange: Hashable, Sendable {
  /// SO_KEEPALIVE (false only when undoing a change to a socket that had keepalive off).
  public var enabled: Bool
  public var idleSeconds: Int
  public var intervalSeconds: Int
  public var probes: Int
  /// TCP_USER_TIMEOUT in ms; nil leaves it as it is.
  public var userTimeoutMs: Int?

  /// The kernel's bounds (tcp_sock_set_keepidle / keepintvl / keepcnt, TCP_USER_TIMEOUT >= 0).
  public static let idleRange = 1...32767
  public static let intervalRange = 1...32767
  public static let probesRange = 1...127
  public static let userTimeoutRange = 0...Int(Int32.max)

  public init(enabled: Bool = true, idleSeconds: Int, intervalSeconds: Int, probes: Int, userTimeoutMs: Int? = nil) {
    self.enabled = enabled
    self.idleSeconds = idleSeconds
    self.intervalSeconds = intervalSeconds
    self.probes = probes
    self.userTimeoutMs = userTimeoutMs
  }

  public init(_ r: KeepaliveRecommendation, userTimeoutMs: Int? = nil) {
    self.init(idleSeconds: r.idleSeconds, intervalSeconds: r.intervalSeconds, probes: r.probes, userTimeoutMs: userTimeoutMs)
  }

  /// The change that puts back `options` as read before an earlier change (undo). Values the
  /// socket inherited from the sysctls read back like its own, so they come back set explicitly.
  public init(restoring options: SocketOptions) {
    self.init(
      enabled: options.keepalive, idleSeconds: options.idleSeconds, intervalSeconds: options.intervalSeconds,
      probes: options.probes, userTimeoutMs: options.userTimeoutMs)
  }

  /// What getsockopt must read back after the change, given what it read before.
  public func expected(after before: SocketOptions) -> SocketOptions {
    SocketOptions(
      keepalive: enabled, idleSeconds: idleSeconds, intervalSeconds: intervalSeconds, probes: probes,
      userTimeoutMs: userTimeoutMs ?? before.userTimeoutMs)
  }

  /// `300/30/5`, `300/30/5 user-timeout 60000ms`, `off 7200/75/9`.
  public var shortText: String {
    var text = (enabled ? "" : "off ") + "\(idleSeconds)/\(intervalSeconds)/\(probes)"
    if let ms = userTimeoutMs { text += " user-timeout \(ms)ms" }
    return text
  }

  public struct ParseProblem: Error, Equatable { public var message: String }

  /// `300/30/5` or `300/30/5/60000` (the fourth: TCP_USER_TIMEOUT ms), as the TUI's form takes them.
  public static func parse(_ text: String) -> Result<KeepaliveChange, ParseProblem> {
    let parts = text.split(separator: "/", omittingEmptySubsequences: false).map { Int($0.filter { $0 != " " }) }
    guard parts.count == 3 || parts.count == 4, parts.allSatisfy({ $0 != nil }) else {
      return .failure(ParseProblem(message: "'\(text)': type idle/interval/count or idle/interval/count/user-timeout-ms, e.g. 300/30/5"))
    }
    let v = parts.compactMap { $0 }
    let change = KeepaliveChange(idleSeconds: v[0], intervalSeconds: v[1], probes: v[2], userTimeoutMs: v.count == 4 ? v[3] : nil)
    if let why = change.invalidReason {
      return .failure(ParseProblem(message: why.replacingPrefix("--idle", "idle").replacingPrefix("--interval", "interval")
        .replacingPrefix("--count", "count").replacingPrefix("--user-timeout", "user-timeout")))
    }
    return .success(change)
  }

  /// The form's starting text: `300/30/5`, `300/30/5/60000`.
  public static func editText(_ c: KeepaliveChange) -> String {
    "\(c.idleSeconds)/\(c.intervalSeconds)/\(c.probes)" + (c.userTimeoutMs.map { "/\($0)" } ?? "")
  }

  /// The first value outside the kernel's bounds, as one line; nil when all fit.
  public var invalidReason: String? {
    if !KeepaliveChange.idleRange.contains(idleSeconds) { return "--idle must be 1-32767 seconds, got \(idleSeconds)" }
    if !KeepaliveChange.intervalRange.contains(intervalSeconds) {
      return "--interval must be 1-32767 seconds, got \(intervalSeconds)"
    }
    if !KeepaliveChange.probesRange.contains(probes) { return "--count must be 1-127 probes, got \(probes)" }
    if let ms = userTimeoutMs, !KeepaliveChange.userTimeoutRange.contains(ms) {
      return "--user-timeout must be 0-\(Int32.max) ms, got \(ms)"
    }
    return nil
  }
}

/// How a connection was ended.
public enum EndMethod: String, Hashable, Sendable {
  /// sock_diag SOCK_DESTROY: the kernel aborts the socket, sends RST, the owner gets ECONNABORTED.
  case sockDestroy = "SOCK_DESTROY"
  /// shutdown(SHUT_RDWR) on a pidfd_getfd duplicate (kernels without CONFIG_INET_DIAG_DESTROY):
  /// FIN, the owner reads EOF.
  case shutdown = "shutdown"
}

/// One socket's fate.
public enum ActionOutcome: Hashable, Sendable {
  /// --dry-run: nothing was attempted.
  case planned
  /// set-keepalive applied and read back as asked.
  case keepaliveSet(before: SocketOptions, after: SocketOptions)
  case ended(EndMethod)
  /// kill: the socket no longer existed (e.g. the peer of a loopback connection ended first).
  case alreadyGone
  /// Nothing changed on this socket, and why (process gone, EPERM, not a TCP socket any more).
  case failed(reason: String, before: SocketOptions?)

  /// True when the socket is now as asked (counts for exit status 0).
  public var succeeded: Bool {
    switch self {
    case .keepaliveSet, .ended, .alreadyGone: return true
    case .planned, .failed: return false
    }
  }

  /// `changed`, `planned`, `gone`, `failed` (JSON `status`).
  public var status: String {
    switch self {
    case .planned: return "planned"
    case .keepaliveSet, .ended: return "changed"
    case .alreadyGone: return "gone"
    case .failed: return "failed"
    }
  }
}

/// One selected socket and what is to be done to it.
public struct ActionItem: Hashable, Sendable {
  public var connection: Connection
  /// set-keepalive only.
  public var change: KeepaliveChange?
  public init(connection: Connection, change: KeepaliveChange?) {
    self.connection = connection
    self.change = change
  }
}

public struct ActionPlan: Hashable, Sendable {
  public var kind: ActionKind
  public var items: [ActionItem]

  public init(kind: ActionKind, items: [ActionItem]) {
    self.kind = kind
    self.items = items
  }

  /// The plan for `connections` (already selected); `change` gives each one its values
  /// (set-keepalive: the recommendation for the flow's budget unless the user named values).
  public init(kind: ActionKind, connections: [Connection], change: (Connection) -> KeepaliveChange?) {
    self.kind = kind
    items = connections.map { ActionItem(connection: $0, change: kind == .setKeepalive ? change($0) : nil) }
  }

  /// One line naming what will change: "set keepalive 300/30/5 on 12 sockets of php-fpm (pids
  /// 811, 812, ...)", "end 4 connections of redis-server (pid 90) with SOCK_DESTROY (RST)".
  public var summary: String {
    let n = items.count
    let what: String
    switch kind {
    case .setKeepalive:
      var counts: [KeepaliveChange: Int] = [:]
      var order: [KeepaliveChange] = []
      for case let change? in items.map(\.change) {
        if counts[change] == nil { order.append(change) }
        counts[change, default: 0] += 1
      }
      let values =
        order.count == 1
        ? order[0].shortText
        : order.map { "\($0.shortText) x\(counts[$0] ?? 0)" }.joined(separator: ", ")
      what = "set keepalive \(values) on \(n) socket\(n == 1 ? "" : "s")"
    case .kill:
      what = "end \(n) connection\(n == 1 ? "" : "s")"
    }
    return what + ActionPlan.ownersText(items.map(\.connection)) + (kind == .kill ? " with SOCK_DESTROY (RST)" : "")
  }

  /// " of php-fpm, nginx (pids 811, 812, 813, ...)"; "" when no owner is known.
  static func ownersText(_ connections: [Connection], shownPids: Int = 3) -> String {
    var commands: [String] = []
    var pids: [Int32] = []
    var seenPids = Set<Int32>()
    for c in connections {
      guard let o = c.owner, seenPids.insert(o.pid).inserted else { continue }
      pids.append(o.pid)
      if !commands.contains(o.command) { commands.append(o.command) }
    }
    if pids.isEmpty { return "" }
    pids.sort()
    let listed = pids.prefix(shownPids).map(String.init).joined(separator: ", ") + (pids.count > shownPids ? ", ..." : "")
    let names = commands.count > 3 ? commands.prefix(3).joined(separator: ", ") + ", ..." : commands.joined(separator: ", ")
    return " of \(names) (pid\(pids.count == 1 ? "" : "s") \(listed))"
  }
}

public struct ActionResult: Sendable {
  public var item: ActionItem
  public var outcome: ActionOutcome
  public init(item: ActionItem, outcome: ActionOutcome) {
    self.item = item
    self.outcome = outcome
  }
}

extension String {
  fileprivate func replacingPrefix(_ prefix: String, _ with: String) -> String {
    hasPrefix(prefix) ? with + dropFirst(prefix.count) : self
  }
}
