import KatopModel
import XCTest
@testable import KatopUI

/// The columns a busy host needs at 80x24 (Owner, Cut in) and what wider terminals add.
final class ColumnLayoutTests: XCTestCase {
  static let sizes = [(80, 24), (100, 30), (120, 40), (200, 50)]

  func testOwnerAndCutInAt80Columns() {
    let screen = Fixtures.render(Fixtures.state(flow: true), width: 80, height: 24)
    let titles = screen.text(row: 4)
    for title in ["Local", "Remote", "State", "Owner", "Idle", "KA", "Cut in", "Risk"] {
      XCTAssertTrue(titles.contains(title), "missing column \(title) at 80 in |\(titles)|")
    }
    let body = (5..<13).map { screen.text(row: $0) }
    XCTAssertTrue(body.contains { $0.contains("900/mysqld") }, body.joined(separator: "\n"))
    XCTAssertTrue(body.contains { $0.contains("4321/nginx") }, body.joined(separator: "\n"))
    XCTAssertTrue(body.allSatisfy { $0.count <= 80 })
  }

  func testFlatTableSnapshotsAtEachSize() {
    for (w, h) in ColumnLayoutTests.sizes {
      let screen = Fixtures.render(Fixtures.state(width: w, height: h, flow: true), width: w, height: h)
      Snapshots.assertScreen(screen, named: "flow-table-\(w)x\(h)")
      XCTAssertTrue(screen.text(row: 4).contains("Cut in"), "\(w)x\(h): |\(screen.text(row: 4))|")
    }
    // What wider terminals add, in order.
    let wide = Fixtures.render(Fixtures.state(width: 200, height: 50, flow: true), width: 200, height: 50).text(row: 4)
    for title in ["Timer", "Settings", "Detect", "User", "Command"] {
      XCTAssertTrue(wide.contains(title), "missing \(title) at 200: |\(wide)|")
    }
    let narrow = Fixtures.render(Fixtures.state(flow: true), width: 80, height: 24).text(row: 4)
    XCTAssertFalse(narrow.contains("Command"), narrow)
  }

  func testDetailSnapshotsAtEachSize() {
    for (w, h) in ColumnLayoutTests.sizes {
      var state = Fixtures.state(width: w, height: h, flow: true)
      _ = state.handle(.enter)
      XCTAssertEqual(state.mode, .detail)
      let screen = Fixtures.render(state, width: w, height: h)
      Snapshots.assertScreen(screen, named: "flow-detail-\(w)x\(h)")
      XCTAssertTrue(screen.lines().joined().contains("no-keepalive"))
    }
  }

  func testPausedAndFilteredHeaderSnapshots() {
    for (w, h) in ColumnLayoutTests.sizes {
      var state = Fixtures.state(width: w, height: h, filter: ConnectionFilter(ports: [3306], riskyOnly: true, text: "mysql"), flow: true)
      _ = state.handle(.char(" "))
      XCTAssertTrue(state.paused)
      let screen = Fixtures.render(state, width: w, height: h)
      Snapshots.assertScreen(screen, named: "paused-filtered-\(w)x\(h)")
    }
  }

  /// A port filter names the local port: where the columns do not fit, Local shows it alone and
  /// Remote stays whole; where they fit, both stay whole.
  func testPortFilterShortensTheLocalSide() {
    let state = Fixtures.state(filter: ConnectionFilter(ports: [3306]), flow: true)
    XCTAssertTrue(Fixtures.render(state, width: 80, height: 24).text(row: 5).hasPrefix("10.0.1.5:3306 "))
    let screen = Fixtures.render(state, width: 72, height: 24)
    let rows = [screen.text(row: 5), screen.text(row: 6)]
    XCTAssertTrue(rows.allSatisfy { $0.hasPrefix(":3306 ") }, rows.joined(separator: "\n"))
    XCTAssertTrue(rows.contains { $0.contains("10.0.3.8:51001") }, rows.joined(separator: "\n"))
    XCTAssertTrue(rows.allSatisfy { $0.contains("900/mysqld") })
  }

  func testLongAddressesAreCutInTheAddressKeepingThePort() {
    XCTAssertEqual(Fit.endpoint("10.0.1.5:43210", 10, ellipsis: "~"), "~1.5:43210")
    XCTAssertEqual(Fit.endpoint("10.0.1.5:22", 20, ellipsis: "~"), "10.0.1.5:22" + String(repeating: " ", count: 9))
    XCTAssertEqual(Fit.endpoint("[2001:db8::1]:443", 10, ellipsis: "…"), "…8::1]:443")
  }

  func testColumnListParsing() {
    XCTAssertEqual(try Column.parseList("local, cutin,KA,command").get(), [.local, .cutIn, .keepalive, .command])
    XCTAssertEqual(try Column.parseList("owner,owner").get(), [.owner])
    guard case .failure(let problem) = Column.parseList("local,bogus") else { return XCTFail("bogus accepted") }
    XCTAssertTrue(problem.message.hasPrefix("unknown column 'bogus' (columns: local, remote,"), problem.message)
    XCTAssertFalse(problem.message.contains("\n"))
  }

  func testFixedColumnsAndThePresetKey() {
    var state = Fixtures.state(flow: true)
    state.customColumns = [.owner, .command]
    _ = state.handle(.char("C"))
    XCTAssertEqual(state.columns, .custom([.owner, .command]))
    var titles = Fixtures.render(state, width: 80, height: 24).text(row: 4)
    XCTAssertTrue(titles.hasPrefix("Owner"), titles)
    XCTAssertTrue(titles.contains("Command") && !titles.contains("Risk"), titles)
    XCTAssertEqual(state.statusMessage, "columns: --columns")
    _ = state.handle(.function(2))
    XCTAssertEqual(state.columns.name, "process")
    titles = Fixtures.render(state, width: 120, height: 24).text(row: 4)
    XCTAssertTrue(titles.contains("User") && titles.contains("Command"), titles)
    for _ in ColumnChoice.presets.indices { _ = state.handle(.char("C")) }
    XCTAssertEqual(state.columns, .auto, "the cycle comes back to auto")
  }

  /// The sort menu lists every sortable column; the ones not on screen are marked hidden and
  /// sorting by one works.
  func testSortMenuOffersHiddenSortableColumns() {
    var state = Fixtures.state(flow: true)
    _ = state.handle(.function(6))
    let lines = Fixtures.render(state, width: 80, height: 24, ascii: true).lines()
    XCTAssertTrue(lines[5].hasPrefix("+-sortable columns"), lines[5])
    for column in SortColumn.allCases {
      XCTAssertTrue(lines.contains { $0.hasPrefix("| \(column.title)") }, "menu lacks \(column.title)")
    }
    XCTAssertTrue(lines.contains { $0.hasPrefix("| Timer (hidden)") })
    XCTAssertTrue(lines.contains { $0.hasPrefix("| Owner ") && !$0.contains("hidden") })
    XCTAssertFalse(lines.contains { $0.contains("Settings") || $0.contains("Cut in |") }, "not sortable")
    let user = SortColumn.allCases.firstIndex(of: .user) ?? 0
    while state.sortMenuIndex > user { _ = state.handle(.up) }
    _ = state.handle(.enter)
    XCTAssertEqual(state.sort.column, .user)
    XCTAssertEqual(state.rows.first?.connection.owner?.userName, "mysql", "descending by user: mysql before app")
  }
}
