import KatopModel
import XCTest
@testable import KatopUI

/// At 80 columns the header gives way from the kernel, the labels and the host first: PAUSED,
/// the refresh staleness and the active filters stay on screen.
final class HeaderAt80Tests: XCTestCase {
  func testPausedAndStalenessStayAt80Columns() {
    var state = Fixtures.state(filter: ConnectionFilter(ports: [3306, 5432], riskyOnly: true, text: "app"), flow: true)
    var status = Fixtures.status
    status.discoveryIntervalMs = 9000
    state.apply(connections: Fixtures.connections, system: Fixtures.system, status: status, now: 11_000)
    state.cadence = RefreshCadence(rowsOnScreenMs: 2100, fullTableMs: 4800, costMs: 320)
    state.refreshing = true
    _ = state.handle(.char(" "))
    let wide = Fixtures.render(state, width: 200, height: 24).text(row: 0)
    XCTAssertTrue(wide.contains("kernel 6.1.0-18-amd64") && wide.contains("full table every 4.8s (walk 320ms)"), wide)
    let screen = Fixtures.render(state, width: 80, height: 24)
    let line = screen.text(row: 0)
    XCTAssertLessThanOrEqual(line.trimmingCharacters(in: .whitespaces).count, 80)
    XCTAssertTrue(line.contains("PAUSED"), line)
    XCTAssertTrue(line.contains("(2.1s)") && line.contains("4.8s"), "how fresh the table is: |\(line)|")
    XCTAssertFalse(line.contains("kernel"), line)
    let filters = screen.text(row: 2)
    XCTAssertTrue(filters.contains("ports 3306,5432") && filters.contains("text 'app'") && filters.contains("risky-only"), filters)
    Snapshots.assertScreen(screen, named: "header-paused-stale-80x24")
  }

  /// `c` on the detail page: one plain line with the addresses, owner, idle, keepalive and risks.
  func testCShowsACopyFriendlySummaryLine() {
    var state = Fixtures.state(width: 200, height: 40, flow: true)
    _ = state.handle(.enter)
    _ = state.handle(.char("c"))
    XCTAssertTrue(state.showsSummary)
    let c = try? XCTUnwrap(state.selectedRow?.connection)
    let line = Fixtures.render(state, width: 200, height: 40).text(row: 5).trimmingCharacters(in: .whitespaces)
    XCTAssertEqual(line, ConnectionText.summary(c ?? Fixtures.connections[0], cutIn: "CUT"))
    XCTAssertTrue(line.hasPrefix("10.0.1.5:3306 -> 10.0.3.8:51001 ESTABLISHED owner=900/mysqld user=mysql idle=2h11m keepalive=off"), line)
    XCTAssertTrue(line.hasSuffix("cut-in=CUT risks=no-keepalive"), line)
    _ = state.handle(.char("c"))
    XCTAssertFalse(state.showsSummary)
  }
}
