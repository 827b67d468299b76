import CKatopNetlink
import Foundation
import Glibc
import KatopModel
import XCTest

@testable import SockDiag

final class CollectorTests: XCTestCase {
  /// The client side of a connection, found by its local port.
  func client(_ snapshot: Snapshot, port: UInt16, file: StaticString = #filePath, line: UInt = #line) throws
    -> SocketRecord
  {
    try XCTUnwrap(snapshot.sockets.first { $0.local.port == port }, "no socket with local port \(port)",
                  file: file, line: line)
  }

  func testKeepaliveNoKeepaliveCloseWaitAndZeroWindow() throws {
    let sockets = try LoopbackSockets()
    defer { sockets.closeAll() }
    let keepalive = try sockets.connectPair()
    try sockets.setKeepalive(keepalive.client, idle: 45, interval: 7, count: 3)
    let plain = try sockets.connectPair()
    let closeWait = try sockets.connectPair()
    sockets.closeEarly(closeWait.server)
    let stalled = try sockets.connectPair()
    sockets.flood(stalled.client)
    usleep(250_000)  // delayed ACKs settle; the zero-window probe timer arms

    let collector = Collector()
    let snapshot = try collector.collect(CollectRequest(ports: [sockets.port]))
    XCTAssertEqual(snapshot.status.source, .netlink)
    XCTAssertGreaterThan(snapshot.takenAtMs, 0)
    // listener + 4 clients + 4 server sides (the closed one lingers as FIN_WAIT2)
    XCTAssertEqual(snapshot.sockets.count, 9)
    for record in snapshot.sockets {
      XCTAssertTrue(record.local.port == sockets.port || record.remote.port == sockets.port)
    }

    let k = try client(snapshot, port: keepalive.clientPort)
    XCTAssertEqual(k.state, .established)
    XCTAssertEqual(k.timer, .keepalive)
    XCTAssertLessThanOrEqual(k.timerExpiresMs, 45_000)
    XCTAssertGreaterThan(k.timerExpiresMs, 40_000)
    XCTAssertEqual(k.timerCount, 0)
    XCTAssertEqual(k.remote, Endpoint(address: .v4(127, 0, 0, 1), port: sockets.port))
    XCTAssertGreaterThanOrEqual(try XCTUnwrap(k.info).length, 104)
    XCTAssertNotEqual(k.inode, 0)
    XCTAssertNotEqual(k.cookie, 0)
    let owner = try XCTUnwrap(snapshot.owners[k.inode])
    XCTAssertEqual(owner.pid, getpid())
    XCTAssertEqual(owner.fd, keepalive.client)
    XCTAssertEqual(owner.uid, getuid())

    let p = try client(snapshot, port: plain.clientPort)
    XCTAssertEqual(p.timer, .off)
    let cw = try client(snapshot, port: closeWait.clientPort)
    XCTAssertEqual(cw.state, .closeWait)
    let z = try client(snapshot, port: stalled.clientPort)
    XCTAssertTrue(z.timer == .persist || z.sendQueue > 100_000, "timer \(z.timer), send queue \(z.sendQueue)")
    XCTAssertGreaterThan(z.sendQueue, 0)

    guard getuid() == 0 else { throw XCTSkip("reading socket options of a process needs root") }
    XCTAssertTrue(snapshot.system.privileged)
    XCTAssertEqual(
      snapshot.options[k.inode],
      SocketOptions(keepalive: true, idleSeconds: 45, intervalSeconds: 7, probes: 3, userTimeoutMs: 0))
    // Keepalive off per the kernel's timers (ESTABLISHED / CLOSE_WAIT without a keepalive
    // timer): not read, and the socket agrees (SO_KEEPALIVE 0); the model says "timer".
    for (record, fd) in [(p, plain.client), (cw, closeWait.client)] {
      XCTAssertNil(snapshot.options[record.inode], "\(record.state) read although known off")
      var on: Int32 = -1
      var length = socklen_t(MemoryLayout<Int32>.size)
      XCTAssertEqual(getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, &length), 0)
      XCTAssertEqual(on, 0)
      let state = KeepaliveMath.state(for: record, options: nil, system: snapshot.system)
      XCTAssertEqual(state.enabled, false)
      XCTAssertEqual(state.source, .timer)
    }
    // LISTEN sockets are not inspected.
    let listener = try XCTUnwrap(snapshot.sockets.first { $0.state == .listen })
    XCTAssertNil(snapshot.options[listener.inode])
    XCTAssertNotNil(snapshot.owners[listener.inode])
  }

  /// The records array is exactly what the kernel sent: with 200 non-matching connections, only
  /// the 7 matching sockets come back, so the bytecode filtered in the kernel.
  func testPortFilterRunsInTheKernel() throws {
    let noise = try LoopbackSockets()
    defer { noise.closeAll() }
    for _ in 0..<200 { _ = try noise.connectPair() }
    let wanted = try LoopbackSockets()
    defer { wanted.closeAll() }
    var clientPorts: Set<UInt16> = []
    for _ in 0..<3 { clientPorts.insert(try wanted.connectPair().clientPort) }

    let socket = try SockDiagSocket()
    var records: [SocketRecord] = []
    let bytecode = InetDiagRequest.portFilterBytecode(ports: [wanted.port])
    _ = try socket.dump(family: 2, states: 0xFFFF_FFFF, bytecode: bytecode, into: &records)
    XCTAssertEqual(records.count, 7)
    XCTAssertTrue(records.allSatisfy { $0.local.port == wanted.port || $0.remote.port == wanted.port })
    XCTAssertEqual(Set(records.filter { $0.remote.port == wanted.port }.map(\.local.port)), clientPorts)

    // Unfiltered, the noise is there (so the filter above did remove something).
    var all: [SocketRecord] = []
    _ = try socket.dump(family: 2, states: 0xFFFF_FFFF, bytecode: [], into: &all)
    XCTAssertGreaterThanOrEqual(all.filter { $0.local.port == noise.port || $0.remote.port == noise.port }.count, 401)

    // The state filter runs in the kernel too.
    var listeners: [SocketRecord] = []
    _ = try socket.dump(family: 2, states: TCPState.listen.mask, bytecode: bytecode, into: &listeners)
    XCTAssertEqual(listeners.map(\.state), [.listen])
  }

  func testSeveralPortsAndIPv6ThroughCollector() throws {
    let a = try LoopbackSockets()
    defer { a.closeAll() }
    let b = try LoopbackSockets(ipv6: true)
    defer { b.closeAll() }
    let c = try LoopbackSockets()
    defer { c.closeAll() }
    for _ in 0..<2 { _ = try a.connectPair(); _ = try b.connectPair(); _ = try c.connectPair() }
    let snapshot = try Collector().collect(CollectRequest(ports: [a.port, b.port], owners: false, socketOptions: false))
    XCTAssertEqual(snapshot.sockets.count, 10)
    XCTAssertEqual(snapshot.sockets.filter { $0.family == 10 }.count, 5)
    XCTAssertTrue(snapshot.owners.isEmpty)
    XCTAssertTrue(snapshot.options.isEmpty)
    let v6 = try XCTUnwrap(snapshot.sockets.first { $0.family == 10 && $0.state == .listen })
    XCTAssertEqual(v6.local.address, .v6(hi: 0, lo: 1))
  }

  func testProcSourceAgreesWithNetlink() throws {
    let v4 = try LoopbackSockets()
    defer { v4.closeAll() }
    let v6 = try LoopbackSockets(ipv6: true)
    defer { v6.closeAll() }
    for i in 0..<20 {
      let pair = try v4.connectPair()
      if i % 2 == 0 { try v4.setKeepalive(pair.client, idle: 600, interval: 10, count: 5) }
      _ = try v6.connectPair()
    }
    let closing = try v4.connectPair()
    v4.closeEarly(closing.server)
    usleep(100_000)
    let request = CollectRequest(ports: [v4.port, v6.port])
    let fromNetlink = try Collector(source: .netlink).collect(request)
    let fromProc = try Collector(source: .proc).collect(request)
    XCTAssertEqual(fromProc.status.source, .proc)
    struct Key: Hashable {
      var local: Endpoint, remote: Endpoint, state: TCPState, inode: UInt32, timer: TimerKind, uid: UInt32
    }
    func keys(_ s: Snapshot) -> Set<Key> {
      Set(s.sockets.map { Key(local: $0.local, remote: $0.remote, state: $0.state, inode: $0.inode, timer: $0.timer, uid: $0.uid) })
    }
    XCTAssertEqual(fromNetlink.sockets.count, 84)
    XCTAssertEqual(fromProc.sockets.count, fromNetlink.sockets.count)
    XCTAssertEqual(keys(fromProc), keys(fromNetlink))
    XCTAssertTrue(fromProc.sockets.allSatisfy { $0.info == nil })
    // Owners work the same from either source.
    XCTAssertEqual(fromProc.owners.count, fromNetlink.owners.count)
  }

  func testOwnerCacheRescansOnlyWhenSomethingIsNew() throws {
    let sockets = try LoopbackSockets()
    defer { sockets.closeAll() }
    for _ in 0..<5 { _ = try sockets.connectPair() }
    let collector = Collector()
    let request = CollectRequest(ports: [sockets.port], socketOptions: false)
    let first = try collector.collect(request)
    XCTAssertEqual(first.owners.count, 11)
    XCTAssertNotEqual(collector.ownerScanner.lastPass, .none)

    let second = try collector.collect(request)
    XCTAssertEqual(collector.ownerScanner.lastPass, .none)
    XCTAssertEqual(collector.ownerScanner.readlinkCount, 0)
    XCTAssertEqual(second.owners, first.owners)

    let extra = try sockets.connectPair()
    let third = try collector.collect(request)
    XCTAssertEqual(collector.ownerScanner.lastPass, .incremental)
    XCTAssertEqual(third.owners.count, 13)
    XCTAssertTrue(third.owners.values.contains { $0.fd == extra.client })
    // The 11 sockets already known were not read again.
    XCTAssertGreaterThanOrEqual(collector.ownerScanner.cachedSocketHits, 11)
  }

  func testSystemInfo() throws {
    let snapshot = try Collector().collect(CollectRequest(ports: [1], owners: false, socketOptions: false))
    let info = snapshot.system
    XCTAssertFalse(info.hostname.isEmpty)
    var names = utsname()
    uname(&names)
    let release = withUnsafeBytes(of: &names.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    XCTAssertEqual(info.kernel, release)
    let time = try String(contentsOfFile: "/proc/sys/net/ipv4/tcp_keepalive_time", encoding: .utf8)
    XCTAssertEqual(info.keepaliveTime, Int(time.trimmingCharacters(in: .whitespacesAndNewlines)))
    XCTAssertNotNil(info.keepaliveProbesSent)
    XCTAssertNotNil(info.abortOnTimeout)
    if geteuid() == 0 { XCTAssertTrue(info.privileged) }
    XCTAssertFalse(snapshot.status.dumpInterrupted)
    XCTAssertEqual(snapshot.status.notes.contains(.notPrivileged), geteuid() != 0 && !info.privileged)
  }

  func testFallsBackToProcWhenNetlinkIsUnavailable() throws {
    let sockets = try LoopbackSockets()
    defer { sockets.closeAll() }
    let pair = try sockets.connectPair()
    let collector = Collector()
    collector.openNetlink = { throw CollectorError.netlinkSocket(errno: EPERM) }
    let snapshot = try collector.collect(CollectRequest(ports: [sockets.port], socketOptions: false))
    XCTAssertEqual(snapshot.status.source, .proc)
    XCTAssertTrue(
      snapshot.status.noteTexts.contains("netlink sock_diag unavailable (EPERM): using /proc/net/tcp, no tcp_info"),
      "\(snapshot.status.noteTexts)")
    XCTAssertEqual(snapshot.sockets.count, 3)
    let client = try XCTUnwrap(snapshot.sockets.first { $0.local.port == pair.clientPort })
    XCTAssertNil(client.info)
    XCTAssertEqual(snapshot.owners[client.inode]?.fd, pair.client)
    // Later collections stay on /proc and keep the note.
    let again = try collector.collect(CollectRequest(ports: [sockets.port], socketOptions: false))
    XCTAssertEqual(again.status.source, .proc)
    XCTAssertEqual(again.status.noteTexts.filter { $0.hasPrefix("netlink sock_diag unavailable") }.count, 1)

    // An explicit netlink source does not fall back.
    let strict = Collector(source: .netlink)
    strict.openNetlink = { throw CollectorError.netlinkSocket(errno: EPERM) }
    XCTAssertThrowsError(try strict.collect(CollectRequest(ports: [sockets.port]))) { error in
      XCTAssertEqual("\(error)", "cannot open NETLINK_SOCK_DIAG socket (EPERM)")
    }
  }

  /// A separate process (katop-fixture): owners and socket options are read across processes.
  func testFixtureProcessOwnersAndOptions() throws {
    guard getuid() == 0 else { throw XCTSkip("pidfd_getfd on another process needs root") }
    let fixture = try FixtureProcess(arguments: [
      "--port", "0", "--connections", "4", "--keepalive", "30,5,4", "--keepalive-fraction", "0.5",
      "--close-wait", "1",
    ])
    defer { fixture.stop() }
    let snapshot = try Collector().collect(CollectRequest(ports: [fixture.port]))
    // listener + 4 clients + 4 server sides
    XCTAssertEqual(snapshot.sockets.count, 9)
    let clients = snapshot.sockets.filter { $0.remote.port == fixture.port }
    XCTAssertEqual(clients.count, 4)
    for client in clients {
      let owner = try XCTUnwrap(snapshot.owners[client.inode])
      XCTAssertEqual(owner.pid, fixture.pid)
      XCTAssertEqual(owner.command, "katop-fixture")
    }
    let withKeepalive = clients.filter { snapshot.options[$0.inode]?.keepalive == true }
    XCTAssertEqual(withKeepalive.count, 2)
    for client in withKeepalive {
      XCTAssertEqual(snapshot.options[client.inode]?.idleSeconds, 30)
      XCTAssertEqual(snapshot.options[client.inode]?.intervalSeconds, 5)
      XCTAssertEqual(snapshot.options[client.inode]?.probes, 4)
      XCTAssertEqual(client.timer, .keepalive)
    }
    XCTAssertEqual(clients.filter { $0.state == .closeWait }.count, 1)
  }

  /// The on-demand read of one socket the collector skipped: keepalive configured without
  /// SO_KEEPALIVE shows its own values; a wrong inode or a gone process reads nothing.
  func testSocketInspectorReadsOneSkippedSocket() throws {
    let sockets = try LoopbackSockets()
    defer { sockets.closeAll() }
    let pair = try sockets.connectPair()
    let tcp = Int32(IPPROTO_TCP)
    XCTAssertEqual(katop_setsockopt_int(pair.client, tcp, katop_TCP_KEEPIDLE, 60), 0)
    XCTAssertEqual(katop_setsockopt_int(pair.client, tcp, katop_TCP_KEEPINTVL, 10), 0)
    var st = stat()
    XCTAssertEqual(fstat(pair.client, &st), 0)
    let inode = UInt32(truncatingIfNeeded: st.st_ino)
    let owner = Owner(pid: getpid(), command: "test", uid: getuid(), fd: pair.client)
    let snapshot = try Collector().collect(CollectRequest(ports: [sockets.port]))
    let record = try XCTUnwrap(snapshot.sockets.first { $0.inode == inode })
    XCTAssertNil(snapshot.options[inode], "keepalive off per the timers: the collector skips it")
    guard let read = SocketInspector.options(owner: owner, inode: inode) else {
      throw XCTSkip("pidfd_getfd on this process is not permitted here (uid \(getuid()))")
    }
    XCTAssertEqual(read, SocketOptions(keepalive: false, idleSeconds: 60, intervalSeconds: 10, probes: 9, userTimeoutMs: 0))
    XCTAssertEqual(KeepaliveMath.state(for: record, options: nil, system: snapshot.system).source, .timer)
    XCTAssertNil(SocketInspector.options(owner: owner, inode: inode &+ 1), "another socket on that fd now")
    XCTAssertNil(SocketInspector.options(owner: owner, inode: 0))
    XCTAssertNil(SocketInspector.options(owner: Owner(pid: Int32.max, command: "gone", uid: 0, fd: 3), inode: inode))
  }
}

/// Runs .build/<config>/katop-fixture (built next to the test bundle) until stop().
final class FixtureProcess {
  let process = Process()
  let input = Pipe()
  let output = Pipe()
  private(set) var pid: Int32 = 0
  private(set) var port: UInt16 = 0

  init(arguments: [String]) throws {
    let exe = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
    let directory = URL(fileURLWithPath: exe).deletingLastPathComponent()
    let binary = directory.appendingPathComponent("katop-fixture")
    guard FileManager.default.isExecutableFile(atPath: binary.path) else {
      throw XCTSkip("katop-fixture not built at \(binary.path)")
    }
    process.executableURL = binary
    process.arguments = arguments
    process.standardInput = input
    process.standardOutput = output
    process.environment = ["SWIFT_BACKTRACE": "enable=no"]
    try process.run()
    var line = Data()
    while !line.contains(10) {
      let chunk = output.fileHandleForReading.availableData
      if chunk.isEmpty { throw SocketError(what: "katop-fixture exited before ready", code: 0) }
      line.append(chunk)
    }
    let text = String(decoding: line, as: UTF8.self)
    for field in text.split(whereSeparator: { $0 == " " || $0 == "\n" }) {
      if field.hasPrefix("pid=") { pid = Int32(field.dropFirst(4)) ?? 0 }
      if field.hasPrefix("port=") { port = UInt16(field.dropFirst(5)) ?? 0 }
    }
    guard text.hasPrefix("ready "), pid == process.processIdentifier, port != 0 else {
      stop()
      throw SocketError(what: "unexpected fixture output: \(text)", code: 0)
    }
  }

  func stop() {
    try? input.fileHandleForWriting.close()  // EOF on stdin: the fixture exits
    process.waitUntilExit()
  }
}
