import KatopModel
import XCTest

@testable import KatopUI

/// The Closed view (L): deaths joined to the store's rows, newest first, filtered like the table,
/// drawn into the screen buffer; L / Esc go back.
final class ClosedViewTests: XCTestCase {
  func death(of record: SocketRecord, probes: UInt8 = 0, acked: UInt64, sent: UInt64, atMs: UInt64) -> HeardDeath {
    var r = record
    r.state = .close
    r.inode = 0
    var info = r.info ?? TCPInfo()
    info.probes = probes
    info.bytesAcked = acked
    r.info = info
    return HeardDeath(death: SocketDeath(record: r, bytesSent: sent, bytesRetrans: 0, receivedAtMs: atMs), kill: nil, counters: nil)
  }

  func stateWithDeaths() -> AppState {
    var state = Fixtures.state(width: 120, height: 40)
    let records = Fixtures.connections.map(\.record)
    state.recordDeaths([
      death(of: records[0], acked: 4098, sent: 4096, atMs: 14_000),
      death(of: records[1], probes: 9, acked: 4097, sent: 4096, atMs: 17_000),
    ])
    _ = state.tick(now: 20_000)
    return state
  }

  func testLShowsDeathsNewestFirstWithTheirCause() {
    var state = stateWithDeaths()
    XCTAssertEqual(state.handle(.char("L")), .none)
    XCTAssertEqual(state.mode, .closed)
    let screen = Fixtures.render(state, width: 120, height: 40)
    Snapshots.assertScreen(screen, named: "closed-120x40")
    let lines = screen.lines()
    let keepalive = lines.firstIndex { $0.contains("keepalive gave up: 9/9 probes unanswered") }
    let orderly = lines.firstIndex { $0.contains("orderly close: our FIN acknowledged") }
    XCTAssertNotNil(keepalive)
    XCTAssertNotNil(orderly)
    XCTAssertLessThan(keepalive ?? 0, orderly ?? 0, "newest first")
    XCTAssertTrue(lines.contains { $0.contains("Closed connections, newest first: 2 shown of 2 kept") })
    XCTAssertTrue(lines.contains { $0.contains("   3s keepalive") && $0.contains(">7s") }, "ago, cause, lived at least since the baseline")
    XCTAssertEqual(state.handle(.char("L")), .none)
    XCTAssertEqual(state.mode, .table, "L again goes back")
  }

  func testTheTextFilterNarrowsTheClosedViewAndReturnsToIt() {
    var state = stateWithDeaths()
    _ = state.handle(.char("L"))
    _ = state.handle(.char("/"))
    for c in "keepalive" { _ = state.handle(.char(c)) }
    _ = state.handle(.enter)
    XCTAssertEqual(state.mode, .closed, "the prompt returns to the Closed view")
    XCTAssertEqual(state.closedShown.map(\.cause), [.keepalive])
    _ = state.handle(.char("r"))
    XCTAssertEqual(state.closedShown.count, 1, "risky only keeps deaths other than orderly closes")
    _ = state.handle(.escape)
    XCTAssertEqual(state.mode, .table)
  }

  func testTheClosedViewStaysBoundedUnderChurn() {
    var state = Fixtures.state(width: 120, height: 40)
    let record = Fixtures.connections[0].record
    for i in 0..<100_000 {
      var r = record
      r.cookie = UInt64(1_000_000 + i)
      state.recordDeaths([death(of: r, acked: 4098, sent: 4096, atMs: UInt64(i))])
    }
    XCTAssertEqual(state.closed.total, 100_000)
    XCTAssertEqual(state.closed.count, state.closed.capacity, "the ring keeps its capacity, no more")
    XCTAssertEqual(state.closed[newest: 0].cookie, 1_099_999)
    _ = state.handle(.char("L"))
    let screen = Fixtures.render(state, width: 120, height: 40)
    XCTAssertTrue(screen.lines().contains { $0.contains("100000 this session, the newest \(state.closed.capacity) kept") })
  }
}

/// The namespace view (N): the list the run loop read, one line per namespace, the rule's message
/// and fix under a flagged one; N again goes back and asks for a fresh read next time.
final class NamespaceViewTests: XCTestCase {
  func testNShowsEachNamespaceWithItsSysctlsAndTheRule() {
    var state = Fixtures.state(width: 120, height: 40)
    XCTAssertEqual(state.handle(.char("N")), .none)
    XCTAssertEqual(state.mode, .namespaces)
    XCTAssertNil(state.namespaceList, "read by the run loop when the view opens")
    var tuned = SystemInfo()
    (tuned.keepaliveTime, tuned.keepaliveInterval, tuned.keepaliveProbes) = (120, 10, 3)
    var map = NamespaceMap(namespaces: [
      NamespaceFacts(label: NamespaceLabel(inode: 4026531840), pid: 1, own: true, system: tuned, conntrackEstablishedTimeout: 432000, connections: 42),
      NamespaceFacts(
        label: NamespaceLabel(inode: 4026532299, container: "docker 3f2a9c1b7d4e"), pid: 811, own: false, system: SystemInfo(),
        conntrackEstablishedTimeout: nil, connections: 7),
    ])
    map.evaluateRules()
    state.namespaceList = map.namespaces
    let screen = Fixtures.render(state, width: 120, height: 40)
    Snapshots.assertScreen(screen, named: "namespaces-120x40")
    let lines = screen.lines()
    XCTAssertTrue(lines.contains { $0.contains("* netns:[4026531840]") && $0.contains("120/10/3") && $0.contains("432000s") })
    XCTAssertTrue(lines.contains { $0.contains("docker 3f2a9c1b7d4e") && $0.contains("7200/75/9") && $0.contains("netns-default-keepalive") })
    XCTAssertTrue(lines.contains { $0.contains("fix:") && $0.contains("--sysctl net.ipv4.tcp_keepalive_time=120") })
    _ = state.handle(.char("N"))
    XCTAssertEqual(state.mode, .table)
    _ = state.handle(.char("N"))
    XCTAssertNil(state.namespaceList, "read again each time it opens")
  }
}
