// Acting on live sockets: keepalive set through a pidfd_getfd duplicate, SOCK_DESTROY with the
// exact id, the shutdown fallback, and the refusals. Real loopback sockets; the owner is this
// test process (pidfd_getfd works on any process katop may ptrace, itself included); the CLI
// tests do the same on sockets held by a child process.

import CKatopNetlink
import Glibc
import KatopModel
import XCTest

@testable import SockDiag

final class SocketActionsTests: XCTestCase {
  func requireRoot() throws {
    if geteuid() != 0 { throw XCTSkip("needs root (pidfd_getfd, SOCK_DESTROY)") }
  }

  /// The analysed connection whose local port is `port`.
  func connection(port: UInt16, listenerPort: UInt16) throws -> Connection {
    let snapshot = try Collector().collect(CollectRequest(ports: [listenerPort]))
    let rows = Analyzer.analyze(snapshot, profile: .aws)
    return try XCTUnwrap(rows.first { $0.record.local.port == port && $0.record.state == .established })
  }

  func options(_ fd: Int32) -> [Int32] {
    let tcp = Int32(IPPROTO_TCP)
    var values: [Int32] = []
    for (level, name) in [(SOL_SOCKET, SO_KEEPALIVE), (tcp, katop_TCP_KEEPIDLE), (tcp, katop_TCP_KEEPINTVL),
                          (tcp, katop_TCP_KEEPCNT), (tcp, katop_TCP_USER_TIMEOUT)] {
      var v: Int32 = -1
      _ = katop_getsockopt_int(fd, level, name, &v)
      values.append(v)
    }
    return values
  }

  /// recv on `fd` without blocking: the byte count or -errno.
  func receive(_ fd: Int32) -> Int {
    var byte: UInt8 = 0
    let n = recv(fd, &byte, 1, Int32(MSG_DONTWAIT))
    return n < 0 ? -Int(errno) : n
  }

  func testSetKeepaliveChangesTheLiveSocketAndArmsItsTimer() throws {
    try requireRoot()
    let sockets = try LoopbackSockets()
    defer { sockets.closeAll() }
    let pair = try sockets.connectPair()
    let before = options(pair.client)
    XCTAssertEqual(before[0], 0, "starts without keepalive")
    let c = try connection(port: pair.clientPort, listenerPort: sockets.port)
    XCTAssertEqual(c.record.timer, .off)
    let owner = try XCTUnwrap(c.owner)

    let change = KeepaliveChange(idleSeconds: 60, intervalSeconds: 10, probes: 4, userTimeoutMs: 45_000)
    let outcome = LiveSocket.setKeepalive(change, owner: owner, inode: c.record.inode)
    guard case .keepaliveSet(let was, let now) = outcome else { return XCTFail("\(outcome)") }
    XCTAssertEqual(was, SocketOptions(keepalive: false, idleSeconds: Int(before[1]), intervalSeconds: Int(before[2]),
                                      probes: Int(before[3]), userTimeoutMs: Int(before[4])))
    XCTAssertEqual(now, SocketOptions(keepalive: true, idleSeconds: 60, intervalSeconds: 10, probes: 4, userTimeoutMs: 45_000))
    // The owner's own descriptor sees the change: it is the same socket.
    XCTAssertEqual(options(pair.client), [1, 60, 10, 4, 45_000])
    XCTAssertEqual(options(pair.server)[0], 0, "the peer is untouched")
    // The kernel armed the keepalive timer for keepidle.
    let after = try connection(port: pair.clientPort, listenerPort: sockets.port)
    XCTAssertEqual(after.record.timer, .keepalive)
    XCTAssertLessThanOrEqual(after.record.timerExpiresMs, 60_000)
    XCTAssertGreaterThan(after.record.timerExpiresMs, 55_000)

    // Undo puts SO_KEEPALIVE back off and the old timers (set explicitly now).
    let undo = LiveSocket.setKeepalive(KeepaliveChange(restoring: was), owner: owner, inode: c.record.inode)
    guard case .keepaliveSet(_, let restored) = undo else { return XCTFail("\(undo)") }
    XCTAssertEqual(restored, was)
    XCTAssertEqual(options(pair.client), before)
  }

  func testAReusedDescriptorIsNotTouched() throws {
    try requireRoot()
    let sockets = try LoopbackSockets()
    defer { sockets.closeAll() }
    let pair = try sockets.connectPair()
    let c = try connection(port: pair.clientPort, listenerPort: sockets.port)
    // The fd now names another socket (the server side): the inode check refuses it.
    let wrong = Owner(pid: getpid(), command: "x", uid: 0, fd: pair.server)
    let outcome = LiveSocket.setKeepalive(
      KeepaliveChange(idleSeconds: 60, intervalSeconds: 10, probes: 4), owner: wrong, inode: c.record.inode)
    guard case .failed(let reason, nil) = outcome else { return XCTFail("\(outcome)") }
    XCTAssertTrue(reason.contains("no longer this socket"), reason)
    XCTAssertEqual(options(pair.server)[0], 0)
    XCTAssertEqual(options(pair.client)[0], 0)
  }

  func testAProcessThatIsGoneIsReported() throws {
    try requireRoot()
    var pid: pid_t = 0
    let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/true"), nil]
    defer { argv.forEach { free($0) } }
    XCTAssertEqual(posix_spawn(&pid, "/bin/true", nil, nil, argv, nil), 0)
    var status: Int32 = 0
    XCTAssertEqual(waitpid(pid, &status, 0), pid)
    let outcome = LiveSocket.setKeepalive(
      KeepaliveChange(idleSeconds: 60, intervalSeconds: 10, probes: 4),
      owner: Owner(pid: pid, command: "true", uid: 0, fd: 3), inode: 12345)
    XCTAssertEqual(outcome, .failed(reason: "process \(pid) gone", before: nil))
  }

  func testSockDestroyAbortsTheExactSocket() throws {
    try requireRoot()
    let sockets = try LoopbackSockets()
    defer { sockets.closeAll() }
    let pair = try sockets.connectPair()
    let other = try sockets.connectPair()
    let c = try connection(port: pair.clientPort, listenerPort: sockets.port)
    let terminator = try SocketTerminator()
    let outcome = terminator.end(c)
    if outcome == .failed(reason: "SOCK_DESTROY unsupported by this kernel and no owner to shut the socket down", before: nil)
      || terminator.sockDestroyUnsupported
    {
      throw XCTSkip("kernel without CONFIG_INET_DIAG_DESTROY")
    }
    XCTAssertEqual(outcome, .ended(.sockDestroy))
    XCTAssertEqual(receive(pair.client), -Int(ECONNABORTED), "the owner sees ECONNABORTED")
    XCTAssertEqual(receive(pair.server), -Int(ECONNRESET), "the peer got the RST")
    XCTAssertEqual(receive(other.client), -Int(EAGAIN), "another connection lives on")
    // The same id again: the socket is gone.
    XCTAssertEqual(terminator.end(c), .alreadyGone)
    let left = try Collector().collect(CollectRequest(ports: [sockets.port])).sockets
    XCTAssertFalse(left.contains { $0.local.port == pair.clientPort || $0.remote.port == pair.clientPort })
    XCTAssertTrue(left.contains { $0.local.port == other.clientPort })
  }

  func testAStaleCookieDestroysNothing() throws {
    try requireRoot()
    let sockets = try LoopbackSockets()
    defer { sockets.closeAll() }
    let pair = try sockets.connectPair()
    let live = try connection(port: pair.clientPort, listenerPort: sockets.port)
    var record = live.record
    record.cookie &+= 1
    let c = Connection(record: record, owner: live.owner, keepalive: live.keepalive, idleMs: live.idleMs, risks: live.risks)
    XCTAssertEqual(try SocketTerminator().end(c), .alreadyGone)
    XCTAssertEqual(receive(pair.client), -Int(EAGAIN))
  }

  func testShutdownFallbackEndsTheConnectionWithFIN() throws {
    try requireRoot()
    let sockets = try LoopbackSockets()
    defer { sockets.closeAll() }
    let pair = try sockets.connectPair()
    let c = try connection(port: pair.clientPort, listenerPort: sockets.port)
    XCTAssertEqual(try SocketTerminator(usesSockDestroy: false).end(c), .ended(.shutdown))
    XCTAssertEqual(receive(pair.client), 0, "the owner reads EOF")
    usleep(50_000)
    XCTAssertEqual(receive(pair.server), 0, "the peer got the FIN")
  }

  func testDestroyRequestNamesTheSocketLikeALookup() throws {
    var record = SocketRecord(
      family: NetlinkConstants.afInet, state: .established,
      local: Endpoint(address: .v4(127, 0, 0, 1), port: 40_000), remote: Endpoint(address: .v4(127, 0, 0, 2), port: 5432))
    record.cookie = 0x0102_0304_0506_0708
    let destroy = SocketTerminator.request(record, sequence: 9)
    let lookup = InetDiagRequest.lookupRequest(of: record, sequence: 9)
    XCTAssertEqual(destroy.count, lookup.count)
    XCTAssertEqual(destroy[4], UInt8(NetlinkConstants.sockDestroy))  // nlmsg_type 21
    XCTAssertEqual(destroy[6], 0x05)  // NLM_F_REQUEST | NLM_F_ACK, no dump flags
    // Everything after the type and flags (sequence, family, ports, addresses, cookie) agrees.
    XCTAssertEqual(Array(destroy[8...]), Array(lookup[8...]))
    XCTAssertEqual(Array(destroy[(destroy.count - 8)...]), [8, 7, 6, 5, 4, 3, 2, 1])
  }

  func testRefusalsNameWhatIsMissing() {
    let nobody = ActionPermissions(uid: 65534, netAdmin: false, sysPtrace: false, ptraceScope: nil)
    XCTAssertEqual(
      nobody.refusalToKill, "kill needs CAP_NET_ADMIN (sock_diag SOCK_DESTROY); katop runs as uid 65534 without it")
    XCTAssertNil(nobody.refusalToSetKeepalive(ownerUIDs: [10: 65534]))
    XCTAssertEqual(
      nobody.refusalToSetKeepalive(ownerUIDs: [10: 65534, 11: 0]),
      "set-keepalive on pid 11 (uid 0) needs CAP_SYS_PTRACE; katop runs as uid 65534 without it")
    var yama = nobody
    yama.ptraceScope = 1
    XCTAssertTrue(yama.refusalToSetKeepalive(ownerUIDs: [10: 65534])?.contains("yama ptrace_scope 1") ?? false)
    let root = ActionPermissions(uid: 0, netAdmin: true, sysPtrace: true, ptraceScope: 2)
    XCTAssertNil(root.refusalToKill)
    XCTAssertNil(root.refusalToSetKeepalive(ownerUIDs: [10: 1000]))
    var locked = root
    locked.ptraceScope = 3
    XCTAssertTrue(locked.refusalToSetKeepalive(ownerUIDs: [10: 0])?.contains("ptrace_scope 3") ?? false)
  }

  func testCurrentPermissionsMatchTheProcess() throws {
    let now = ActionPermissions.current()
    XCTAssertEqual(now.uid, geteuid())
    if geteuid() == 0 {
      XCTAssertTrue(now.netAdmin)
      XCTAssertTrue(now.sysPtrace)
    }
    XCTAssertEqual(ActionPermissions.processUID(getpid()), geteuid())
  }
}
