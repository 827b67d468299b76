// Plain values the collector produces: one TCP socket as the kernel reported it.

/// TCP states with the kernel's numbering (include/net/tcp_states.h).
public enum TCPState: UInt8, Sendable, CaseIterable, Codable {
  case established = 1, synSent, synRecv, finWait1, finWait2, timeWait, close, closeWait
  case lastAck, listen, closing, newSynRecv

  /// The kernel's / ss's upper-case name (`ESTABLISHED`, `CLOSE_WAIT` ...).
  public var kernelName: String {
    switch self {
    case .established: return "ESTABLISHED"
    case .synSent: return "SYN_SENT"
    case .synRecv: return "SYN_RECV"
    case .finWait1: return "FIN_WAIT1"
    case .finWait2: return "FIN_WAIT2"
    case .timeWait: return "TIME_WAIT"
    case .close: return "CLOSE"
    case .closeWait: return "CLOSE_WAIT"
    case .lastAck: return "LAST_ACK"
    case .listen: return "LISTEN"
    case .closing: return "CLOSING"
    case .newSynRecv: return "NEW_SYN_RECV"
    }
  }

  /// Parses a kernel name, case-insensitive; also accepts ss's short names (estab, close-wait ...).
  public init?(name: String) {
    let n = String(name.uppercased().map { $0 == "-" ? "_" : $0 })
    if n == "ESTAB" { self = .established; return }
    guard let s = TCPState.allCases.first(where: { $0.kernelName == n }) else { return nil }
    self = s
  }

  /// Bit for `idiag_states`.
  public var mask: UInt32 { 1 << UInt32(rawValue) }
}

/// The single timer `idiag_timer` reports (net/ipv4/tcp_diag.c / inet_diag.c).
public enum TimerKind: String, Sendable, Codable, CaseIterable {
  case off, retransmit, keepalive, timewait, persist, delack

  public init(kernelCode: UInt8) {
    switch kernelCode {
    case 1: self = .retransmit
    case 2: self = .keepalive
    case 3: self = .timewait
    case 4: self = .persist
    case 5: self = .delack
    default: self = .off
    }
  }

  /// ss's name in `timer:(NAME,...)`.
  public var ssName: String {
    switch self {
    case .off: return "off"
    case .retransmit: return "on"
    case .keepalive: return "keepalive"
    case .timewait: return "timewait"
    case .persist: return "persist"
    case .delack: return "delack"
    }
  }
}

/// An IPv4 or IPv6 address, stored inline (no allocation per socket).
public enum IPAddress: Hashable, Sendable {
  /// Four bytes in network order, as they appear on the wire.
  case v4(UInt8, UInt8, UInt8, UInt8)
  /// Sixteen bytes in network order, as two big-endian halves.
  case v6(hi: UInt64, lo: UInt64)

  public var isV6: Bool { if case .v6 = self { return true } else { return false } }
}

public struct Endpoint: Hashable, Sendable {
  public var address: IPAddress
  public var port: UInt16
  public init(address: IPAddress, port: UInt16) {
    self.address = address
    self.port = port
  }
}

/// The fields of `struct tcp_info` katop reads (by byte offset). A field is nil when the kernel's
/// tcp_info was too short to carry it. Stored compactly (plain values plus a presence bit each,
/// 80 bytes instead of 152 for 18 Optionals: 100k of these live in a snapshot, docs/performance.md).
public struct TCPInfo: Hashable, Sendable {
  private var _bytesAcked: UInt64 = 0
  private var _bytesReceived: UInt64 = 0
  private var _rtoUs: UInt32 = 0
  private var _unacked: UInt32 = 0
  private var _retrans: UInt32 = 0
  private var _lastDataSentMs: UInt32 = 0
  private var _lastDataRecvMs: UInt32 = 0
  private var _lastAckRecvMs: UInt32 = 0
  private var _rttUs: UInt32 = 0
  private var _rttVarUs: UInt32 = 0
  private var _totalRetrans: UInt32 = 0
  private var _notsentBytes: UInt32 = 0
  private var _sndWnd: UInt32 = 0
  private var _segsOut: UInt32 = 0
  private var _segsIn: UInt32 = 0
  private var _retransmits: UInt8 = 0
  private var _probes: UInt8 = 0
  private var _backoff: UInt8 = 0
  private var _synCredit: UInt8 = 0
  /// Bit i set: field i (declaration order below) is present.
  private var present: UInt32 = 0
  private var storedLength: UInt16 = 0

  public var retransmits: UInt8? {  // offset 2
    get { present & 1 != 0 ? _retransmits : nil }
    set {
      _retransmits = newValue ?? 0
      present = newValue == nil ? present & ~1 : present | 1
    }
  }
  public var probes: UInt8? {  // offset 3: keepalive / zero-window probes out
    get { present & 2 != 0 ? _probes : nil }
    set {
      _probes = newValue ?? 0
      present = newValue == nil ? present & ~2 : present | 2
    }
  }
  public var backoff: UInt8? {  // offset 4
    get { present & 4 != 0 ? _backoff : nil }
    set {
      _backoff = newValue ?? 0
      present = newValue == nil ? present & ~4 : present | 4
    }
  }
  public var rtoUs: UInt32? {  // offset 8
    get { present & 8 != 0 ? _rtoUs : nil }
    set {
      _rtoUs = newValue ?? 0
      present = newValue == nil ? present & ~8 : present | 8
    }
  }
  public var unacked: UInt32? {  // offset 24
    get { present & 16 != 0 ? _unacked : nil }
    set {
      _unacked = newValue ?? 0
      present = newValue == nil ? present & ~16 : present | 16
    }
  }
  public var retrans: UInt32? {  // offset 36
    get { present & 32 != 0 ? _retrans : nil }
    set {
      _retrans = newValue ?? 0
      present = newValue == nil ? present & ~32 : present | 32
    }
  }
  public var lastDataSentMs: UInt32? {  // offset 44
    get { present & 64 != 0 ? _lastDataSentMs : nil }
    set {
      _lastDataSentMs = newValue ?? 0
      present = newValue == nil ? present & ~64 : present | 64
    }
  }
  public var lastDataRecvMs: UInt32? {  // offset 52
    get { present & 128 != 0 ? _lastDataRecvMs : nil }
    set {
      _lastDataRecvMs = newValue ?? 0
      present = newValue == nil ? present & ~128 : present | 128
    }
  }
  public var lastAckRecvMs: UInt32? {  // offset 56
    get { present & 256 != 0 ? _lastAckRecvMs : nil }
    set {
      _lastAckRecvMs = newValue ?? 0
      present = newValue == nil ? present & ~256 : present | 256
    }
  }
  public var rttUs: UInt32? {  // offset 68
    get { present & 512 != 0 ? _rttUs : nil }
    set {
      _rttUs = newValue ?? 0
      present = newValue == nil ? present & ~512 : present | 512
    }
  }
  public var rttVarUs: UInt32? {  // offset 72
    get { present & 1024 != 0 ? _rttVarUs : nil }
    set {
      _rttVarUs = newValue ?? 0
      present = newValue == nil ? present & ~1024 : present | 1024
    }
  }
  public var totalRetrans: UInt32? {  // offset 100
    get { present & 2048 != 0 ? _totalRetrans : nil }
    set {
      _totalRetrans = newValue ?? 0
      present = newValue == nil ? present & ~2048 : present | 2048
    }
  }
  public var bytesAcked: UInt64? {  // offset 120
    get { present & 4096 != 0 ? _bytesAcked : nil }
    set {
      _bytesAcked = newValue ?? 0
      present = newValue == nil ? present & ~4096 : present | 4096
    }
  }
  public var bytesReceived: UInt64? {  // offset 128
    get { present & 8192 != 0 ? _bytesReceived : nil }
    set {
      _bytesReceived = newValue ?? 0
      present = newValue == nil ? present & ~8192 : present | 8192
    }
  }
  public var notsentBytes: UInt32? {  // offset 144
    get { present & 16384 != 0 ? _notsentBytes : nil }
    set {
      _notsentBytes = newValue ?? 0
      present = newValue == nil ? present & ~16384 : present | 16384
    }
  }
  public var sndWnd: UInt32? {  // offset 228
    get { present & 32768 != 0 ? _sndWnd : nil }
    set {
      _sndWnd = newValue ?? 0
      present = newValue == nil ? present & ~32768 : present | 32768
    }
  }
  public var segsOut: UInt32? {  // offset 136: segments sent (tcpi_segs_out)
    get { present & 65536 != 0 ? _segsOut : nil }
    set {
      _segsOut = newValue ?? 0
      present = newValue == nil ? present & ~65536 : present | 65536
    }
  }
  public var segsIn: UInt32? {  // offset 140: segments received (tcpi_segs_in)
    get { present & 131_072 != 0 ? _segsIn : nil }
    set {
      _segsIn = newValue ?? 0
      present = newValue == nil ? present & ~131_072 : present | 131_072
    }
  }
  /// bytes_acked beyond the unique data sent, read while ESTABLISHED with nothing unacked: 1 on
  /// the side that sent the SYN (its SYN counts), 0 on the accepting side. A death's bytes_acked
  /// minus this tells whether our FIN was acknowledged (DeathClassifier).
  public var synCredit: UInt8? {
    get { present & 262_144 != 0 ? _synCredit : nil }
    set {
      _synCredit = newValue ?? 0
      present = newValue == nil ? present & ~262_144 : present | 262_144
    }
  }
  /// Length of the tcp_info payload the kernel sent.
  public var length: Int {
    get { Int(storedLength) }
    set { storedLength = UInt16(clamping: newValue) }
  }
  public init() {}
}

/// One TCP socket as one dump reported it.
public struct SocketRecord: Hashable, Sendable {
  // Declared widest first so no padding sits between fields (145 bytes instead of 165: 100k of
  // these live in a snapshot and in each row table, docs/performance.md).
  public var cookie: UInt64
  public var local: Endpoint
  public var timerExpiresMs: UInt32
  public var remote: Endpoint
  public var recvQueue: UInt32
  public var sendQueue: UInt32
  public var uid: UInt32
  public var inode: UInt32
  public var interface: UInt32
  public var info: TCPInfo?
  public var family: UInt8  // AF_INET 2, AF_INET6 10
  public var state: TCPState
  public var timer: TimerKind
  /// `idiag_retrans`: for the keepalive timer, probes sent and unanswered; for retransmit, count.
  public var timerCount: UInt8

  public init(
    family: UInt8, state: TCPState, local: Endpoint, remote: Endpoint, timer: TimerKind = .off,
    timerExpiresMs: UInt32 = 0, timerCount: UInt8 = 0, recvQueue: UInt32 = 0, sendQueue: UInt32 = 0,
    uid: UInt32 = 0, inode: UInt32 = 0, cookie: UInt64 = 0, interface: UInt32 = 0,
    info: TCPInfo? = nil
  ) {
    self.family = family
    self.state = state
    self.local = local
    self.remote = remote
    self.timer = timer
    self.timerExpiresMs = timerExpiresMs
    self.timerCount = timerCount
    self.recvQueue = recvQueue
    self.sendQueue = sendQueue
    self.uid = uid
    self.inode = inode
    self.cookie = cookie
    self.interface = interface
    self.info = info
  }
}

/// Keepalive settings read from the socket itself (pidfd_getfd + getsockopt).
public struct SocketOptions: Hashable, Sendable {
  // Stored narrow (24 bytes instead of 40: the collector caches them per socket and a snapshot
  // holds a table of them, docs/performance.md). getsockopt gives C ints: the interval,
  // probe count and user timeout are clamped to Int32; the idle time keeps its full width.
  private var storedIdleSeconds: Int64 = 0
  private var storedIntervalSeconds: Int32 = 0
  private var storedProbes: Int32 = 0
  private var storedUserTimeoutMs: Int32 = 0
  public var keepalive: Bool
  public var idleSeconds: Int {
    get { Int(storedIdleSeconds) }
    set { storedIdleSeconds = Int64(newValue) }
  }
  public var intervalSeconds: Int {
    get { Int(storedIntervalSeconds) }
    set { storedIntervalSeconds = Int32(clamping: newValue) }
  }
  public var probes: Int {
    get { Int(storedProbes) }
    set { storedProbes = Int32(clamping: newValue) }
  }
  public var userTimeoutMs: Int {
    get { Int(storedUserTimeoutMs) }
    set { storedUserTimeoutMs = Int32(clamping: newValue) }
  }
  public init(keepalive: Bool, idleSeconds: Int, intervalSeconds: Int, probes: Int, userTimeoutMs: Int) {
    self.keepalive = keepalive
    self.idleSeconds = idleSeconds
    self.intervalSeconds = intervalSeconds
    self.probes = probes
    self.userTimeoutMs = userTimeoutMs
  }
}

/// The process holding a socket.
public struct Owner: Hashable, Sendable {
  /// The command and what else is known of the process: one instance shared by its sockets, so
  /// an owner is a pointer and three numbers (100k of them live in the row table).
  public private(set) var process: ProcessDetails
  public var pid: Int32
  public var uid: UInt32
  public var fd: Int32

  public var command: String {
    get { process.command }
    set { process = process.with(command: newValue) }
  }

  /// User name, full command line and parent (nil: not read).
  public var details: ProcessDetails? { process.read ? process : nil }

  public init(pid: Int32, command: String, uid: UInt32, fd: Int32, details: ProcessDetails? = nil) {
    self.pid = pid
    self.uid = uid
    self.fd = fd
    let known = details.map { $0.command == command ? $0 : $0.with(command: command) }
    self.process = known ?? ProcessDetails(command: command)
  }

  /// An owner sharing `process` with the process's other sockets.
  public init(pid: Int32, uid: UInt32, fd: Int32, process: ProcessDetails) {
    self.pid = pid
    self.uid = uid
    self.fd = fd
    self.process = process
  }

  /// The user name, else the uid as digits.
  public var userName: String { details?.user ?? String(uid) }
}

/// What is known of a socket's process. A class, so the sockets of one process share one copy.
public final class ProcessDetails: Hashable, Sendable {
  /// /proc/PID/comm.
  public let command: String
  /// The rest was read (else the fields are empty).
  public let read: Bool
  /// The uid's name (nil: no passwd entry).
  public let user: String?
  /// /proc/PID/cmdline, arguments joined by spaces (empty for kernel threads).
  public let commandLine: String
  /// The parent process id (0: unknown).
  public let parentPid: Int32
  /// The parent's command (/proc/PPID/comm): a forked worker (php-fpm's pool, postgres'
  /// backends) names its master. nil: not read.
  public let parentCommand: String?

  /// The command alone, nothing else read.
  public init(command: String) {
    self.command = command
    self.read = false
    self.user = nil
    self.commandLine = ""
    self.parentPid = 0
    self.parentCommand = nil
  }

  public init(command: String, user: String?, commandLine: String, parentPid: Int32, parentCommand: String? = nil) {
    self.command = command
    self.read = true
    self.user = user
    self.commandLine = commandLine
    self.parentPid = parentPid
    self.parentCommand = parentCommand
  }

  func with(command: String) -> ProcessDetails {
    read
      ? ProcessDetails(command: command, user: user, commandLine: commandLine, parentPid: parentPid, parentCommand: parentCommand)
      : ProcessDetails(command: command)
  }

  /// A forked worker: its parent runs the same command.
  public func isForkedWorker(of command: String) -> Bool { parentPid > 1 && parentCommand == command }

  public static func == (a: ProcessDetails, b: ProcessDetails) -> Bool {
    a === b
      || (a.command == b.command && a.read == b.read && a.user == b.user && a.commandLine == b.commandLine
        && a.parentPid == b.parentPid && a.parentCommand == b.parentCommand)
  }

  public func hash(into h: inout Hasher) {
    h.combine(command)
    h.combine(commandLine)
    h.combine(parentPid)
  }
}
