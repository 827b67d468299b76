import KatopModel
import XCTest
@testable import KatopUI

/// `g` groups the table: one row per process, remote host or service with its totals; Enter
/// drills into a group, Esc goes back; filters and the sort apply to the groups.
final class GroupViewTests: XCTestCase {
  func testGCyclesTheGroupings() {
    var state = Fixtures.state(flow: true)
    var seen: [GroupBy] = []
    for _ in 0..<4 {
      _ = state.handle(.char("g"))
      seen.append(state.groupBy)
    }
    XCTAssertEqual(seen, [.process, .remoteHost, .remotePort, .none])
    _ = state.handle(.function(5))
    XCTAssertEqual(state.groupBy, .process)
    _ = state.handle(.char("t"))
    XCTAssertEqual(state.groupBy, .remoteHost)
  }

  func testProcessGroupsCountTheirConnections() throws {
    var state = Fixtures.state(flow: true)
    _ = state.handle(.char("g"))
    XCTAssertTrue(state.showsGroups)
    let byLabel = Dictionary(uniqueKeysWithValues: state.groups.map { ($0.label, $0) })
    // The counts come from the fixture's own owners.
    for (label, pid) in [("900/mysqld", Int32(900)), ("1234/app", 1234), ("1/sshd", 1)] {
      let expected = Fixtures.connections.filter { $0.owner?.pid == pid }
      let g = try XCTUnwrap(byLabel[label], "no group \(label): \(byLabel.keys)")
      XCTAssertEqual(g.counts.total, expected.count, label)
      XCTAssertEqual(g.counts.keepaliveOff, expected.filter { $0.keepalive.enabled == false && $0.record.state != .listen }.count, label)
      XCTAssertEqual(g.counts.critical, expected.filter { $0.worstSeverity == .critical }.count, label)
    }
    XCTAssertEqual(byLabel["- (no owner)"]?.counts.total, Fixtures.connections.filter { $0.owner == nil }.count)
    XCTAssertEqual(state.groups.map(\.counts.total).reduce(0, +), Fixtures.connections.count)
    // Sorted by risk: the groups with critical connections first.
    XCTAssertGreaterThan(state.groups[0].counts.critical, 0)
    XCTAssertEqual(byLabel["900/mysqld"]?.largestIdleMs, 7_860_000)
  }

  func testEnterDrillsInEscGoesBack() {
    var state = Fixtures.state(flow: true)
    _ = state.handle(.char("g"))
    let i = state.groups.firstIndex { $0.label == "900/mysqld" } ?? 0
    while state.groupIndex < i { _ = state.handle(.down) }
    _ = state.handle(.enter)
    XCTAssertFalse(state.showsGroups)
    XCTAssertEqual(state.mode, .table)
    XCTAssertEqual(state.rows.count, 2)
    XCTAssertTrue(state.rows.allSatisfy { $0.connection.owner?.command == "mysqld" })
    let screen = Fixtures.render(state, width: 80, height: 24)
    XCTAssertTrue(screen.text(row: 2).hasPrefix("group process in 900/mysqld"), screen.text(row: 2))
    _ = state.handle(.enter)
    XCTAssertEqual(state.mode, .detail, "Enter on a drilled-in row: its details")
    _ = state.handle(.escape)
    XCTAssertEqual(state.mode, .table)
    _ = state.handle(.escape)
    XCTAssertTrue(state.showsGroups)
    XCTAssertEqual(state.selectedGroup?.label, "900/mysqld", "back on the same group")
  }

  func testFiltersAndSortApplyToGroups() {
    var state = Fixtures.state(flow: true)
    _ = state.handle(.char("g"))
    _ = state.handle(.char("r"))
    XCTAssertEqual(state.groups.map(\.counts.total).reduce(0, +), Fixtures.connections.filter(\.hasRisks).count)
    XCTAssertFalse(state.groups.contains { $0.label == "1/sshd" })
    _ = state.handle(.char("r"))
    state.sort = SortOrder(column: .state, descending: true)
    state.rebuildRows()
    let totals = state.groups.map(\.counts.total)
    XCTAssertEqual(totals, totals.sorted(by: >), "State sorts groups by their connections")
  }

  func testServiceGroupsUseTheListeningSide() {
    var state = Fixtures.state(flow: true)
    for _ in 0..<3 { _ = state.handle(.char("g")) }
    XCTAssertEqual(state.groupBy, .remotePort)
    let labels = state.groups.map(\.label)
    XCTAssertTrue(labels.contains("3306 mysql"), "\(labels)")
    XCTAssertTrue(labels.contains("5432 postgresql"), "\(labels)")
    XCTAssertEqual(state.groups.first { $0.label == "3306 mysql" }?.counts.total, 2, "both accepted mysqld connections")
  }

  func testGroupSnapshotsAtEachSize() {
    for (w, h) in ColumnLayoutTests.sizes {
      var state = Fixtures.state(width: w, height: h, flow: true)
      for by in [GroupBy.process, .remoteHost, .remotePort] {
        _ = state.handle(.char("g"))
        XCTAssertEqual(state.groupBy, by)
        let screen = Fixtures.render(state, width: w, height: h)
        Snapshots.assertScreen(screen, named: "group-\(by.rawValue)-\(w)x\(h)")
        XCTAssertTrue(screen.text(row: 4).hasPrefix(by.title), screen.text(row: 4))
        XCTAssertTrue(screen.text(row: 4).contains("Conns"))
      }
      _ = state.handle(.char("g"))
    }
  }
}
