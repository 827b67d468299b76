// Exact lookups between walks (LookupRefresh.swift, SocketLookup.swift) against the real kernel,
// IPv4 and IPv6 loopback sockets with their listeners; and the reply parser on byte fixtures.

import Glibc
import KatopModel
import XCTest

@testable import SockDiag

/// (cookie, state, family, local, remote) of every socket: what a lookup must reproduce.
private func identities(_ sockets: [SocketRecord]) -> Set<String> {
  Set(sockets.map { "\($0.cookie) \($0.state) \($0.family) \($0.local) \($0.remote)" })
}

private func sendAndReceive(_ from: Int32, _ to: Int32, bytes: Int) throws {
  var out = [UInt8](repeating: 0x61, count: bytes)
  let sent = out.withUnsafeMutableBytes { send(from, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
  XCTAssertEqual(sent, bytes)
  var received = 0
  var inbuf = [UInt8](repeating: 0, count: bytes)
  while received < bytes {
    let n = inbuf.withUnsafeMutableBytes { recv(to, $0.baseAddress, $0.count, 0) }
    if n <= 0 { throw SocketError(what: "recv", code: errno) }
    received += n
  }
  usleep(20_000)  // let the ACK come back to the sender
}

final class LookupTests: XCTestCase {
  /// `CollectRequest.lookUp` (the TUI's rows on screen between walks of a big table): exactly
  /// those sockets come back, fresh; one gone makes the round fail (the caller then walks).
  func testRequestedLookupsReturnExactlyThoseSockets() throws {
    let v4 = try LoopbackSockets()
    defer { v4.closeAll() }
    let pairs = try (0..<5).map { _ in try v4.connectPair() }
    let collector = Collector()
    let walked = try collector.collect(CollectRequest(ports: [v4.port], owners: false, socketOptions: false))
    XCTAssertEqual(walked.sockets.count, 11)
    let wanted = walked.sockets.filter { $0.state == .established }.prefix(3)
    var request = CollectRequest(owners: false, socketOptions: false)
    request.lookUp = Array(wanted)
    try sendAndReceive(pairs[0].client, pairs[0].server, bytes: 500)
    let looked = try collector.collect(request)
    XCTAssertEqual(looked.sockets.map(\.cookie), wanted.map(\.cookie))
    XCTAssertTrue(looked.sockets.allSatisfy { $0.info != nil })
    XCTAssertEqual(collector.lastCollectionKind, .lookups)
    // Close one of them: the round fails instead of guessing.
    let gone = try XCTUnwrap(wanted.first)
    for p in pairs where p.clientPort == gone.local.port || p.clientPort == gone.remote.port {
      v4.closeEarly(p.client)
      v4.closeEarly(p.server)
    }
    usleep(20_000)
    XCTAssertThrowsError(try collector.collect(request))
  }

  func testLookupsReturnTheWalkedSocketsWithFreshTCPInfo() throws {
    let v4 = try LoopbackSockets()
    defer { v4.closeAll() }
    let v6 = try LoopbackSockets(ipv6: true)
    defer { v6.closeAll() }
    let pair4 = try v4.connectPair()
    let pair6 = try v6.connectPair()
    for _ in 0..<70 { _ = try v4.connectPair() }  // 143 + 3 sockets: two lookup batches

    let collector = Collector()
    collector.discoveryIntervalMs = 60_000
    let request = CollectRequest(ports: [v4.port, v6.port], owners: true, socketOptions: false)
    let walked = try collector.collect(request)
    XCTAssertEqual(collector.lastCollectionKind, .walk)
    XCTAssertEqual(walked.sockets.count, 143 + 3)
    XCTAssertEqual(walked.sockets.filter { $0.state == .listen }.count, 2, "both listeners")
    XCTAssertEqual(walked.status.discoveryIntervalMs, 60_000)

    try sendAndReceive(pair4.client, pair4.server, bytes: 1000)
    try sendAndReceive(pair6.server, pair6.client, bytes: 700)

    let looked = try collector.collect(request)
    XCTAssertEqual(collector.lastCollectionKind, .lookups)
    XCTAssertEqual(looked.status.discoveryIntervalMs, 60_000)
    XCTAssertEqual(identities(looked.sockets), identities(walked.sockets))
    XCTAssertTrue(looked.sockets.allSatisfy { $0.info != nil }, "INET_DIAG_INFO on every lookup")

    func find(_ s: Snapshot, family: UInt8, localPort: UInt16, remotePort: UInt16) throws -> SocketRecord {
      try XCTUnwrap(s.sockets.first { $0.family == family && $0.local.port == localPort && $0.remote.port == remotePort })
    }
    let client4Before = try find(walked, family: 2, localPort: pair4.clientPort, remotePort: v4.port)
    let client4After = try find(looked, family: 2, localPort: pair4.clientPort, remotePort: v4.port)
    XCTAssertEqual(client4After.cookie, client4Before.cookie)
    XCTAssertEqual((client4After.info?.bytesAcked ?? 0) - (client4Before.info?.bytesAcked ?? 0), 1000)
    let server6Before = try find(walked, family: 10, localPort: v6.port, remotePort: pair6.clientPort)
    let client6After = try find(looked, family: 10, localPort: pair6.clientPort, remotePort: v6.port)
    let client6Before = try find(walked, family: 10, localPort: pair6.clientPort, remotePort: v6.port)
    XCTAssertEqual((client6After.info?.bytesReceived ?? 0) - (client6Before.info?.bytesReceived ?? 0), 700)
    XCTAssertNotEqual(server6Before.cookie, client6After.cookie)

    // Owners are resolved for looked-up sockets exactly as for walked ones.
    XCTAssertEqual(looked.owners[client4After.inode]?.pid, getpid())
    XCTAssertEqual(looked.owners.count, walked.owners.count)
  }

  func testClosedConnectionForcesAWalkThatMatchesTheKernel() throws {
    let v4 = try LoopbackSockets()
    defer { v4.closeAll() }
    let v6 = try LoopbackSockets(ipv6: true)
    defer { v6.closeAll() }
    let pair4 = try v4.connectPair()
    let pair6 = try v6.connectPair()
    _ = try v4.connectPair()
    _ = try v6.connectPair()

    let collector = Collector()
    collector.discoveryIntervalMs = 60_000
    let request = CollectRequest(ports: [v4.port, v6.port], owners: false, socketOptions: false)
    let walked = try collector.collect(request)
    XCTAssertEqual(walked.sockets.count, 10)
    _ = try collector.collect(request)
    XCTAssertEqual(collector.lastCollectionKind, .lookups, "nothing changed yet")

    // IPv4: both sides closed (client first: client TIME_WAIT, server gone). IPv6: only the
    // server side closed (client CLOSE_WAIT, server FIN_WAIT2).
    v4.closeEarly(pair4.client)
    v4.closeEarly(pair4.server)
    v6.closeEarly(pair6.server)
    usleep(50_000)

    let after = try collector.collect(request)
    XCTAssertEqual(collector.lastCollectionKind, .walk)
    let reference = Collector()
    let truth = try reference.collect(request)
    XCTAssertEqual(reference.lastCollectionKind, .walk)
    XCTAssertEqual(identities(after.sockets), identities(truth.sockets))
    XCTAssertTrue(after.sockets.contains { $0.local.port == pair4.clientPort && $0.state == .timeWait }, "\(after.sockets)")
    XCTAssertTrue(after.sockets.contains { $0.local.port == pair6.clientPort && $0.state == .closeWait })

    // The walk is remembered again: the next refresh looks the new set up.
    let next = try collector.collect(request)
    XCTAssertEqual(collector.lastCollectionKind, .lookups)
    XCTAssertEqual(identities(next.sockets), identities(after.sockets))
  }

  func testNewConnectionAppearsOnlyAtTheNextWalk() throws {
    let v4 = try LoopbackSockets()
    defer { v4.closeAll() }
    let v6 = try LoopbackSockets(ipv6: true)
    defer { v6.closeAll() }
    _ = try v4.connectPair()
    _ = try v6.connectPair()

    let collector = Collector()
    collector.discoveryIntervalMs = 300
    let request = CollectRequest(ports: [v4.port, v6.port], owners: false, socketOptions: false)
    let walked = try collector.collect(request)
    XCTAssertEqual(walked.sockets.count, 6)

    let new4 = try v4.connectPair()
    let new6 = try v6.connectPair()
    let looked = try collector.collect(request)
    XCTAssertEqual(collector.lastCollectionKind, .lookups)
    XCTAssertEqual(identities(looked.sockets), identities(walked.sockets), "new sockets wait for the walk")

    usleep(320_000)
    let rewalked = try collector.collect(request)
    XCTAssertEqual(collector.lastCollectionKind, .walk)
    XCTAssertEqual(rewalked.sockets.count, 10)
    XCTAssertTrue(rewalked.sockets.contains { $0.family == 2 && $0.local.port == new4.clientPort })
    XCTAssertTrue(rewalked.sockets.contains { $0.family == 10 && $0.local.port == new6.clientPort })

    // Another request (other ports) never reuses the walk of this one.
    _ = try collector.collect(CollectRequest(ports: [v4.port], owners: false, socketOptions: false))
    XCTAssertEqual(collector.lastCollectionKind, .walk)
  }

  /// With no connection made in the namespace since the walk (its TCP open counters unchanged),
  /// lookups go on past the discovery interval, up to `quietFactor` intervals; any new open, or
  /// unreadable counters, walk at the interval as before.
  func testQuietNamespaceStretchesLookupsUntilAnOpen() {
    let r = LookupRefresher()
    r.discoveryMs = 1000
    let known = [SocketRecord(family: 2, state: .established, local: Endpoint(address: .v4(127, 0, 0, 1), port: 1), remote: Endpoint(address: .v4(127, 0, 0, 1), port: 2), cookie: 9)]
    r.memory = LookupRefresher.Memory(ports: [2], states: CollectRequest().states, walkedAtMs: 10_000, sockets: known, opens: 500)
    let request = CollectRequest(ports: [2])
    XCTAssertNotNil(r.candidates(for: request, nowMs: 10_500, opens: 501), "within the interval: lookups")
    XCTAssertNil(r.candidates(for: request, nowMs: 11_000, opens: 501), "a connection was made: walk at the interval")
    XCTAssertNil(r.candidates(for: request, nowMs: 11_000, opens: nil), "counters unreadable: walk at the interval")
    XCTAssertNotNil(r.candidates(for: request, nowMs: 11_000, opens: 500), "quiet: lookups go on")
    XCTAssertNotNil(r.candidates(for: request, nowMs: 13_800, opens: 500))
    XCTAssertNil(r.candidates(for: request, nowMs: 13_950, opens: 500), "at most 4 intervals (new listeners)")
  }

  func testOpenCountersMoveWithANewConnection() throws {
    let before = try XCTUnwrap(SystemInfoReader.tcpOpens(), "/proc/net/snmp has Tcp: ActiveOpens and PassiveOpens")
    let v4 = try LoopbackSockets()
    defer { v4.closeAll() }
    _ = try v4.connectPair()
    let after = try XCTUnwrap(SystemInfoReader.tcpOpens())
    XCTAssertGreaterThanOrEqual(after, before + 2, "one active and one passive open")
  }

  /// The TUI passes its discovery interval in each request (it follows the interval keys).
  func testRequestCarriesTheDiscoveryInterval() throws {
    let v4 = try LoopbackSockets()
    defer { v4.closeAll() }
    _ = try v4.connectPair()
    let collector = Collector()
    XCTAssertEqual(collector.discoveryIntervalMs, 0)
    var request = CollectRequest(ports: [v4.port], owners: false, socketOptions: false, discoveryIntervalMs: 60_000)
    _ = try collector.collect(request)
    let looked = try collector.collect(request)
    XCTAssertEqual(collector.lastCollectionKind, .lookups)
    XCTAssertEqual(looked.status.discoveryIntervalMs, 60_000)
    request.discoveryIntervalMs = 0  // e.g. lookups switched off: every collection walks
    _ = try collector.collect(request)
    XCTAssertEqual(collector.lastCollectionKind, .walk)
    _ = try collector.collect(request)
    XCTAssertEqual(collector.lastCollectionKind, .walk)
  }

  /// Listeners sharing a port with SO_REUSEPORT: the kernel's lookup finds one member of the
  /// group, the other answers ESTALE, so every round misses. After two missed rounds lookups
  /// pause and collections walk without trying (and the header claims nothing).
  func testReuseportListenersPauseLookups() throws {
    var listeners: [Int32] = []
    defer { for fd in listeners { close(fd) } }
    var port: UInt16 = 0
    for _ in 0..<2 {
      let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
      XCTAssertGreaterThanOrEqual(fd, 0)
      listeners.append(fd)
      var on: Int32 = 1
      XCTAssertEqual(setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, socklen_t(MemoryLayout<Int32>.size)), 0)
      var address = sockaddr_in()
      address.sin_family = sa_family_t(AF_INET)
      address.sin_port = port.bigEndian
      address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
      let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
      }
      XCTAssertEqual(bound, 0, String(cString: strerror(errno)))
      XCTAssertEqual(listen(fd, 8), 0)
      var actual = sockaddr_in()
      var length = socklen_t(MemoryLayout<sockaddr_in>.size)
      _ = withUnsafeMutablePointer(to: &actual) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
      }
      port = UInt16(bigEndian: actual.sin_port)
    }
    let collector = Collector()
    collector.discoveryIntervalMs = 60_000
    let request = CollectRequest(ports: [port], owners: false, socketOptions: false)
    let first = try collector.collect(request)
    XCTAssertEqual(first.sockets.filter { $0.state == .listen }.count, 2)
    XCTAssertEqual(first.status.discoveryIntervalMs, 60_000, "a lookup-eligible walk")
    _ = try collector.collect(request)  // round 1 misses: walk
    XCTAssertEqual(collector.lastCollectionKind, .walk)
    let paused = try collector.collect(request)  // round 2 misses: walk, lookups pause
    XCTAssertEqual(collector.lastCollectionKind, .walk)
    XCTAssertEqual(collector.lookupRounds, 2)
    XCTAssertNil(paused.status.discoveryIntervalMs, "no 'new conns every' claim while paused")
    _ = try collector.collect(request)
    XCTAssertEqual(collector.lookupRounds, 2, "no lookup round while paused")
    XCTAssertEqual(collector.lastCollectionKind, .walk)
  }

  func testWithoutDiscoveryIntervalEveryCollectionWalks() throws {
    let v4 = try LoopbackSockets()
    defer { v4.closeAll() }
    _ = try v4.connectPair()
    let collector = Collector()
    let request = CollectRequest(ports: [v4.port], owners: false, socketOptions: false)
    for _ in 0..<2 {
      let snapshot = try collector.collect(request)
      XCTAssertEqual(collector.lastCollectionKind, .walk)
      XCTAssertNil(snapshot.status.discoveryIntervalMs)
      XCTAssertEqual(snapshot.sockets.count, 3)
    }
    // Unfiltered requests always walk, whatever the interval.
    collector.discoveryIntervalMs = 60_000
    _ = try collector.collect(CollectRequest(owners: false, socketOptions: false))
    let unfiltered = try collector.collect(CollectRequest(owners: false, socketOptions: false))
    XCTAssertEqual(collector.lastCollectionKind, .walk)
    XCTAssertNil(unfiltered.status.discoveryIntervalMs)
  }

  /// Lookups need no privilege for one's own sockets (the kernel checks none for an exact
  /// lookup): as root, drop to nobody in a child process and look up this test's sockets.
  func testLookupWorksWithoutRoot() throws {
    guard getuid() == 0 else {
      // Already unprivileged: the other tests here ran their lookups without root.
      throw XCTSkip("not root: the other lookup tests already ran unprivileged")
    }
    let v4 = try LoopbackSockets()
    defer { v4.closeAll() }
    _ = try v4.connectPair()
    let socket = try SockDiagSocket()
    var records: [SocketRecord] = []
    _ = try socket.dumpAllFamilies(
      states: 0xFFFF_FFFF, bytecode: InetDiagRequest.portFilterBytecode(ports: [v4.port]), into: &records)
    XCTAssertEqual(records.count, 3)
    let child = fork()
    if child == 0 {
      guard setgid(65534) == 0, setuid(65534) == 0, getuid() != 0 else { _exit(3) }
      let refresher = LookupRefresher()
      guard let own = try? SockDiagSocket(),
        let fresh = try? refresher.lookUp(records, states: 0xFFFF_FFFF, socket: own)
      else { _exit(1) }
      _exit(fresh.map(\.cookie) == records.map(\.cookie) ? 0 : 2)
    }
    XCTAssertGreaterThan(child, 0)
    var status: Int32 = 0
    var waited: pid_t = 0
    for _ in 0..<500 where waited == 0 {  // at most ~5 s: a child stuck after fork() fails the test
      waited = waitpid(child, &status, WNOHANG)
      if waited == 0 { usleep(10_000) }
    }
    if waited == 0 {
      kill(child, SIGKILL)
      _ = waitpid(child, &status, 0)
      XCTFail("unprivileged lookup child did not finish")
      return
    }
    XCTAssertEqual((status >> 8) & 0xFF, 0, "child exit status (1 lookup failed, 2 other sockets, 3 setuid)")
  }
}
