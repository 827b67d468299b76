import KatopModel
import XCTest
@testable import KatopUI

/// Clicks: a row selects it, a column header sorts by that column (again: inverts); in the
/// grouped view a row selects the group.
final class MouseTests: XCTestCase {
  func testClickSelectsARowAndSortsByAHeader() {
    var state = Fixtures.state(flow: true)
    state.setScreenSize(height: 24, width: 80)
    let screen = Fixtures.render(state, width: 80, height: 24)
    let header = 4  // 3 header lines, 1 note line
    XCTAssertTrue(screen.text(row: header).hasPrefix("Local"))
    _ = state.handle(.click(x: 3, y: header + 3))
    XCTAssertEqual(state.selectedIndex, 2)
    // The Idle title's column: sort by Idle, then a second click inverts.
    let titles = screen.text(row: header)
    let idleX = titles.distance(from: titles.startIndex, to: titles.range(of: "Idle")?.lowerBound ?? titles.startIndex)
    _ = state.handle(.click(x: idleX, y: header))
    XCTAssertEqual(state.sort.column, .idle)
    let descending = state.sort.descending
    _ = state.handle(.click(x: idleX, y: header))
    XCTAssertEqual(state.sort.descending, !descending)
    let ownerX = titles.distance(from: titles.startIndex, to: titles.range(of: "Owner")?.lowerBound ?? titles.startIndex)
    _ = state.handle(.click(x: ownerX + 1, y: header))
    XCTAssertEqual(state.sort.column, .owner)
    // Outside the table (the header lines, a prompt): nothing happens.
    _ = state.handle(.click(x: 1, y: 0))
    XCTAssertEqual(state.sort.column, .owner)
  }

  func testClickInTheGroupedView() {
    var state = Fixtures.state(flow: true)
    state.setScreenSize(height: 24, width: 80)
    _ = state.handle(.char("g"))
    _ = state.handle(.click(x: 2, y: 4 + 2))
    XCTAssertEqual(state.groupIndex, 1)
    _ = state.handle(.click(x: 2, y: 4))
    XCTAssertEqual(state.sort.column, .owner, "the name column sorts by name")
    XCTAssertEqual(state.groups.map(\.label), state.groups.map(\.label).sorted(by: state.sort.descending ? (>) : (<)))
  }
}
