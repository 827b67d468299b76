// The destroy multicast against the real kernel: loopback connections closed in three ways
// arrive as destroy messages carrying their cookies, joined to the store and classified.
import CKatopNetlink
import Foundation
import Glibc
import KatopModel
import SockDiag
import XCTest

final class DestroyListenerTests: XCTestCase {
  /// Receives until every cookie in `cookies` has a death (bounded: 5 s).
  func deaths(_ listener: DestroyListener, cookies: Set<UInt64>) -> (deaths: [UInt64: SocketDeath], counters: AbortCounters) {
    var found: [UInt64: SocketDeath] = [:]
    var counters = AbortCounters(estabResets: 0)
    let deadline = Clocks.monotonicMs() + 5000
    while Clocks.monotonicMs() < deadline && !cookies.isSubset(of: Set(found.keys)) {
      let batch = listener.receive(timeoutMs: 100)
      for d in batch.deaths where cookies.contains(d.record.cookie) { found[d.record.cookie] = d }
      if let r = batch.counters?.estabResets { counters.estabResets! += r }
    }
    return (found, counters)
  }

  func testOrderlyResetAndKilledDeathsArriveWithTheirCookies() throws {
    let listener = try DestroyListener()
    let sockets = try LoopbackSockets()
    defer { sockets.closeAll() }
    let orderly = try sockets.connectPair()
    let reset = try sockets.connectPair()
    let killed = try sockets.connectPair()
    for p in [orderly, reset, killed] { _ = "x".withCString { send(p.client, $0, 1, 0) } }
    usleep(20_000)
    let snapshot = try Collector().collect(CollectRequest(ports: [sockets.port]))
    var store = ConnectionStore()
    store.merge(snapshot, coverage: .complete, nowMs: snapshot.takenAtMs)
    func cookie(clientPort: UInt16) throws -> UInt64 {
      try XCTUnwrap(snapshot.sockets.first { $0.local.port == clientPort && $0.remote.port == sockets.port }?.cookie)
    }
    let clientRecord = try XCTUnwrap(snapshot.sockets.first { $0.local.port == orderly.clientPort })
    let serverRecord = try XCTUnwrap(snapshot.sockets.first { $0.remote.port == orderly.clientPort })
    XCTAssertEqual(clientRecord.info?.synCredit, 1, "the connecting side's bytes_acked counts its SYN")
    XCTAssertEqual(serverRecord.info?.synCredit, 0, "the accepting side's does not")
    let orderlyCookie = try cookie(clientPort: orderly.clientPort)
    let resetCookie = try cookie(clientPort: reset.clientPort)
    let killedCookie = try cookie(clientPort: killed.clientPort)

    // Orderly: the client closes, the server reads the byte and EOF, and closes (closing with
    // unread data would send a RST).
    sockets.closeEarly(orderly.client)
    usleep(20_000)
    var scratch = [UInt8](repeating: 0, count: 16)
    XCTAssertEqual(recv(orderly.server, &scratch, scratch.count, Int32(MSG_DONTWAIT)), 1)
    sockets.closeEarly(orderly.server)
    // Reset: the server aborts (SO_LINGER 0), then the client closes its fd.
    var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
    setsockopt(reset.server, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
    sockets.closeEarly(reset.server)
    usleep(20_000)
    sockets.closeEarly(reset.client)

    var wanted: Set<UInt64> = [orderlyCookie, resetCookie]
    var kill: KatopKill?
    if getuid() == 0 {
      let journalPath = NSTemporaryDirectory() + "katop-kills-\(getpid())"
      defer { unlink(journalPath) }
      let terminator = try SocketTerminator()
      terminator.journal = KillJournal(path: journalPath)
      let row = try XCTUnwrap(store.slot(of: killedCookie).map { store.rows[$0].connection })
      XCTAssertTrue(terminator.end(row).succeeded)
      sockets.closeEarly(killed.client)
      wanted.insert(killedCookie)
      kill = KillJournal(path: journalPath).kill(of: killedCookie)
      XCTAssertEqual(kill?.pid, getpid())
    } else {
      print("DestroyListenerTests: SOCK_DESTROY needs root, killed-by-katop not checked")
    }
    let (found, counters) = deaths(listener, cookies: wanted)
    XCTAssertEqual(Set(found.keys), wanted, "a destroy message for every closed client socket")

    let orderlyDeath = try XCTUnwrap(found[orderlyCookie])
    XCTAssertEqual(orderlyDeath.record.state, .close)
    XCTAssertEqual(orderlyDeath.record.local.port, orderly.clientPort)
    XCTAssertEqual(orderlyDeath.record.inode, 0, "the message is zeroed: no inode")
    XCTAssertEqual(orderlyDeath.ackedBeyondData, 2, "bytes_acked = 1 data byte + SYN + FIN")
    let closed = store.closedConnection(for: orderlyDeath, kill: nil, counters: nil)
    XCTAssertEqual(closed.cause, .orderlyClose, closed.summary)
    XCTAssertTrue(closed.known)
    XCTAssertNotNil(closed.owner, "owner joined by cookie from the store")
    XCTAssertEqual(closed.owner?.pid, getpid())

    let resetDeath = try XCTUnwrap(found[resetCookie])
    XCTAssertEqual(resetDeath.ackedBeyondData, 1, "bytes_acked = data + SYN: no FIN acknowledged")
    XCTAssertGreaterThanOrEqual(counters.estabResets ?? 0, 1, "the abort shows in Tcp EstabResets")
    let resetClosed = store.closedConnection(for: resetDeath, kill: nil, counters: counters)
    XCTAssertEqual(resetClosed.cause, .reset, resetClosed.summary)

    if let kill, let killedDeath = found[killedCookie] {
      let c = store.closedConnection(for: killedDeath, kill: kill, counters: nil)
      XCTAssertEqual(c.cause, .killedByKatop, c.summary)
    }
  }

  func testDestroyMessageParserReadsRecordAndBytesSent() throws {
    // nlmsghdr (16) + inet_diag_msg (72) + rtattr INET_DIAG_INFO (4 + 216 bytes of tcp_info).
    var bytes = [UInt8](repeating: 0, count: 16 + 72 + 4 + 216)
    func put32(_ v: UInt32, at o: Int) { for i in 0..<4 { bytes[o + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(i))) } }
    func put64(_ v: UInt64, at o: Int) { for i in 0..<8 { bytes[o + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(i))) } }
    put32(UInt32(bytes.count), at: 0)
    bytes[4] = 20  // SOCK_DIAG_BY_FAMILY
    bytes[16] = 2  // AF_INET
    bytes[17] = 7  // TCP_CLOSE
    bytes[20] = 0x1F; bytes[21] = 0x90  // sport 8080
    bytes[24...27] = [127, 0, 0, 1]
    put32(0xABCD, at: 16 + 44)  // cookie low
    let attr = 16 + 72
    bytes[attr] = UInt8((4 + 216) & 0xFF); bytes[attr + 1] = UInt8((4 + 216) >> 8)
    bytes[attr + 2] = 2  // INET_DIAG_INFO
    bytes[attr + 4 + 3] = 2  // probes
    put64(12, at: attr + 4 + 120)  // bytes_acked
    put64(10, at: attr + 4 + 200)  // bytes_sent
    put64(0, at: attr + 4 + 208)  // bytes_retrans
    let deaths = try DestroyMessageParser.parse(bytes, receivedAtMs: 7)
    XCTAssertEqual(deaths.count, 1)
    XCTAssertEqual(deaths[0].record.cookie, 0xABCD)
    XCTAssertEqual(deaths[0].record.local.port, 8080)
    XCTAssertEqual(deaths[0].record.info?.probes, 2)
    XCTAssertEqual(deaths[0].bytesSent, 10)
    XCTAssertEqual(deaths[0].ackedBeyondData, 2)
    XCTAssertEqual(deaths[0].receivedAtMs, 7)
    // Truncated: throws, never traps.
    XCTAssertThrowsError(try DestroyMessageParser.parse(Array(bytes.prefix(40)), receivedAtMs: 0))
  }
}
