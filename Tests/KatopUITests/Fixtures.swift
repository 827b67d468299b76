// Synthetic connections for renderer and reducer tests: no kernel, no terminal.
import KatopModel
@testable import KatopUI

enum Fixtures {
  static func v4(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8, _ port: UInt16) -> Endpoint {
    Endpoint(address: .v4(a, b, c, d), port: port)
  }

  static func connection(
    cookie: UInt64, local: Endpoint, remote: Endpoint, state: TCPState = .established,
    owner: (Int32, String)? = nil, idleMs: UInt64? = 1000, keepalive: Bool? = false,
    settings: (Int, Int, Int) = (7200, 75, 9), source: SettingsSource = .system,
    timer: TimerKind = .off, timerMs: UInt32 = 0, detectInMs: Int64? = nil, nextProbeInMs: Int64? = nil,
    risks: [Risk] = []
  ) -> Connection {
    var info = TCPInfo()
    info.length = 232
    info.retransmits = 0
    info.probes = 0
    info.backoff = 0
    info.rtoUs = 204_000
    info.rttUs = 1_250
    info.rttVarUs = 600
    info.unacked = 0
    info.lastDataSentMs = UInt32(clamping: idleMs ?? 0)
    info.lastDataRecvMs = UInt32(clamping: idleMs ?? 0)
    info.lastAckRecvMs = UInt32(clamping: idleMs ?? 0)
    info.bytesAcked = 4096
    info.bytesReceived = 8192
    let record = SocketRecord(
      family: 2, state: state, local: local, remote: remote, timer: timer, timerExpiresMs: timerMs,
      uid: 1000, inode: UInt32(truncatingIfNeeded: cookie) + 5000, cookie: cookie, info: info)
    let ka = KeepaliveState(
      enabled: keepalive, idleSeconds: settings.0, intervalSeconds: settings.1, probes: settings.2,
      userTimeoutMs: source == .socket ? 0 : nil, source: source, detectInMs: detectInMs, nextProbeInMs: nextProbeInMs)
    return Connection(
      record: record, owner: owner.map { Owner(pid: $0.0, command: $0.1, uid: 1000, fd: 7, details: details(of: $0.1)) },
      keepalive: ka,
      idleMs: idleMs, risks: risks)
  }

  /// The user and command line of a fixture process: mysqld runs as `mysql`, the others as `app`.
  static func details(of command: String) -> ProcessDetails {
    ProcessDetails(
      command: command, user: command == "mysqld" ? "mysql" : "app", commandLine: "/usr/sbin/\(command) --config /etc/\(command).conf",
      parentPid: 1, parentCommand: "systemd")
  }

  static let noKeepalive = Risk(
    id: .noKeepalive, severity: .critical,
    message: "keepalive is off and the connection has been idle 7m05s, longer than aws's 5m50s idle timeout",
    fix: "enable SO_KEEPALIVE with TCP_KEEPIDLE below 350s, e.g. tcp_keepalives_idle=60 for PostgreSQL clients")
  static let tooSlow = Risk(
    id: .keepaliveTooSlow, severity: .warning,
    message: "the first keepalive probe comes after 2h00m idle, the middlebox forgets the flow after 5m50s",
    fix: "set TCP_KEEPIDLE below 350s (sysctl net.ipv4.tcp_keepalive_time=300)")
  static let unknown = Risk(
    id: .retransmitting, severity: .info, message: "a retransmit timer hides the keepalive timer",
    fix: "run as root to read the socket's settings")

  static let connections: [Connection] = [
    connection(
      cookie: 1, local: v4(10, 0, 1, 5, 43210), remote: v4(10, 0, 2, 10, 5432), owner: (1234, "app"),
      idleMs: 425_000, keepalive: false, risks: [noKeepalive, tooSlow]),
    connection(
      cookie: 2, local: v4(10, 0, 1, 5, 43212), remote: v4(10, 0, 2, 10, 5432), owner: (1234, "app"),
      idleMs: 30_000, keepalive: true, source: .socket, timer: .keepalive, timerMs: 7_170_000,
      detectInMs: 7_845_000, nextProbeInMs: 7_170_000, risks: [tooSlow]),
    connection(
      cookie: 3, local: v4(10, 0, 1, 5, 3306), remote: v4(10, 0, 3, 7, 51000), owner: (900, "mysqld"),
      idleMs: 12_000, keepalive: true, settings: (60, 10, 6), source: .socket, timer: .keepalive, timerMs: 48_000,
      detectInMs: 108_000, nextProbeInMs: 48_000),
    connection(
      cookie: 4, local: v4(0, 0, 0, 0, 22), remote: v4(0, 0, 0, 0, 0), state: .listen, owner: (1, "sshd"),
      idleMs: nil, keepalive: false),
    connection(
      cookie: 5, local: Endpoint(address: .v6(hi: 0, lo: 1), port: 6379), remote: Endpoint(address: .v6(hi: 0, lo: 1), port: 40000),
      owner: (777, "redis-server"), idleMs: 500, keepalive: nil, timer: .retransmit, timerMs: 200, risks: [unknown]),
    connection(
      cookie: 6, local: v4(10, 0, 1, 5, 3306), remote: v4(10, 0, 3, 8, 51001), owner: (900, "mysqld"),
      idleMs: 7_860_000, keepalive: false, risks: [noKeepalive]),
    connection(
      cookie: 7, local: v4(127, 0, 0, 1, 8080), remote: v4(127, 0, 0, 1, 39000), state: .timeWait,
      idleMs: nil, keepalive: false, timer: .timewait, timerMs: 59_000),
    connection(
      cookie: 8, local: v4(10, 0, 1, 5, 443), remote: v4(203, 0, 113, 9, 60000), state: .closeWait,
      owner: (4321, "nginx"), idleMs: 95_000, keepalive: false),
  ]

  static var system: SystemInfo {
    var s = SystemInfo()
    s.hostname = "db1"
    s.kernel = "6.1.0-18-amd64"
    s.privileged = false
    return s
  }

  static var status: CollectorStatus {
    var s = CollectorStatus()
    s.notes = [.notPrivileged]
    return s
  }

  /// A state with the fixture loaded, sized for a screen.
  static func state(
    width: Int = 80, height: Int = 24, filter: ConnectionFilter = ConnectionFilter(), flow: Bool = false
  ) -> AppState {
    var state = AppState(filter: filter)
    if flow { state.flow = FlowContext(profile: .aws) }
    state.apply(connections: connections, system: system, status: status, now: 10_000)
    state.setScreenSize(height: height)
    return state
  }

  static func render(_ state: AppState, width: Int, height: Int, ascii: Bool = false) -> ScreenBuffer {
    var buffer = ScreenBuffer(width: width, height: height)
    Renderer(ascii: ascii).render(state, into: &buffer)
    return buffer
  }
}

extension Connection {
  /// A copy with a changed record and / or idle time (its risks stored as they were): a changed
  /// socket is a new Connection.
  func with(_ change: (inout SocketRecord) -> Void = { _ in }, idleMs newIdle: UInt64? = nil) -> Connection {
    var r = record
    change(&r)
    return Connection(record: r, owner: owner, keepalive: keepalive, idleMs: newIdle ?? idleMs, risks: risks)
  }
}
