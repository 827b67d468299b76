// What the collector could and could not do in one collection, apart from the host's facts
// (SystemInfo). Notes are values; each output words them (`text` for the table and JSON, the TUI
// its own way).

/// Something the reader should know about a collection.
public enum CollectorNote: Hashable, Sendable {
  /// `--source proc`: /proc/net/tcp, no tcp_info.
  case procRequested
  /// netlink sock_diag failed (errno name): fell back to /proc/net/tcp.
  case netlinkUnavailable(errno: String)
  /// IPv4 sock_diag worked, IPv6 did not (errno name): IPv6 sockets missing.
  case ipv6DiagUnavailable(errno: String)
  /// No /proc/net/tcp6 (IPv6 off or not built in).
  case ipv6ProcMissing(path: String)
  /// The kernel interrupted the dump (NLM_F_DUMP_INTR): the list may be incomplete.
  case dumpInterrupted
  /// Not root / no CAP_SYS_PTRACE: settings assumed from the sysctls, some owners hidden.
  case notPrivileged
  /// A tcp_* sysctl could not be used: `shown` is its text (nil: empty), `assumed` what is used.
  case ignoredSysctl(name: String, shown: String?, range: ClosedRange<Int>, assumed: Int)

  /// The note in words (no glyphs: plain text for the table, JSON and the TUI).
  public var text: String {
    switch self {
    case .procRequested: return "source proc requested: using /proc/net/tcp, no tcp_info"
    case .netlinkUnavailable(let e): return "netlink sock_diag unavailable (\(e)): using /proc/net/tcp, no tcp_info"
    case .ipv6DiagUnavailable(let e): return "IPv6 sock_diag unavailable (\(e)): IPv6 sockets missing"
    case .ipv6ProcMissing(let path): return "no \(path) (IPv6 off?): IPv6 sockets not listed"
    case .dumpInterrupted: return "sock_diag dump interrupted (sockets changed meanwhile): list may be incomplete"
    case .notPrivileged: return "not root: settings assumed from sysctls, some owners hidden: run as root"
    case .ignoredSysctl(let name, let shown, let range, let assumed):
      let why = shown.map { "'\($0)' is not a number in \(range.lowerBound)-\(range.upperBound)" } ?? "empty"
      return "ignoring \(name): \(why); assuming \(assumed)"
    }
  }
}

/// How one collection went.
public struct CollectorStatus: Hashable, Sendable {
  /// Where the socket rows came from.
  public var source: SocketSource = .netlink
  public var notes: [CollectorNote] = []
  /// Set when a dump was interrupted (NLM_F_DUMP_INTR): the socket list may be incomplete.
  public var dumpInterrupted = false
  /// Set when refreshes between kernel walks only look up the sockets already known: new
  /// sockets are found at most this often (ms). nil: every refresh finds new sockets.
  public var discoveryIntervalMs: Int? = nil
  public init() {}

  /// The notes in words, in order.
  public var noteTexts: [String] { notes.map(\.text) }
}
