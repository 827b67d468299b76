import KatopModel
import XCTest
@testable import KatopUI

/// Filters an SRE reaches for: by pid, user, command, risk id, inverted; `u` / `o` filter by the
/// selected row's user / process; the text filter finds risk ids and user names.
final class OwnerFilterTests: XCTestCase {
  func owners(_ state: AppState) -> Set<String> { Set(state.rows.map { $0.connection.owner?.command ?? "-" }) }

  func testFilterFields() {
    let all = Fixtures.connections
    func shown(_ change: (inout ConnectionFilter) -> Void) -> [Connection] {
      var f = ConnectionFilter()
      change(&f)
      return all.filter { f.matches($0) }
    }
    XCTAssertEqual(shown { $0.pids = [900] }.count, all.filter { $0.owner?.pid == 900 }.count)
    XCTAssertEqual(shown { $0.users = ["mysql"] }.count, all.filter { $0.owner?.command == "mysqld" }.count)
    XCTAssertEqual(shown { $0.users = ["1000"] }.count, all.filter { $0.owner != nil }.count, "a uid matches too")
    XCTAssertEqual(shown { $0.commands = ["app", "nginx"] }.count, all.filter { ["app", "nginx"].contains($0.owner?.command) }.count)
    XCTAssertEqual(shown { $0.riskIDs = [.noKeepalive] }.count, all.filter { $0.risks.contains { $0.id == .noKeepalive } }.count)
    XCTAssertEqual(shown { $0.text = "keepalive-too" }.count, all.filter { $0.risks.contains { $0.id == .keepaliveTooSlow } }.count)
    XCTAssertEqual(shown { $0.text = "MYSQL" }.count, 2, "the user name, case-insensitively")
    XCTAssertEqual(shown { $0.text = "/etc/nginx.conf" }.count, 1, "the command line")
    // Inverted: the complement of the selecting filters; ports still apply.
    XCTAssertEqual(shown { $0.pids = [900]; $0.inverted = true }.count, all.count - all.filter { $0.owner?.pid == 900 }.count)
    XCTAssertEqual(shown { $0.ports = [3306]; $0.pids = [900]; $0.inverted = true }.count, 0)
    XCTAssertEqual(shown { $0.inverted = true }.count, all.count, "nothing to invert")
  }

  func testUAndOFilterByTheSelectedRowAndClearAgain() {
    var state = Fixtures.state(flow: true)
    let first = try? XCTUnwrap(state.selectedRow?.connection.owner)
    _ = state.handle(.char("u"))
    XCTAssertEqual(state.filter.users, [first?.userName ?? ""])
    XCTAssertTrue(state.rows.allSatisfy { $0.connection.owner?.userName == first?.userName })
    XCTAssertTrue(Fixtures.render(state, width: 80, height: 24).text(row: 2).contains("user \(first?.userName ?? "")"))
    _ = state.handle(.char("u"))
    XCTAssertEqual(state.filter.users, [])
    _ = state.handle(.char("o"))
    XCTAssertEqual(state.filter.pids, [first?.pid ?? 0])
    XCTAssertTrue(state.rows.allSatisfy { $0.connection.owner?.pid == first?.pid })
    _ = state.handle(.char("~"))
    XCTAssertTrue(state.filter.inverted)
    XCTAssertFalse(state.rows.contains { $0.connection.owner?.pid == first?.pid })
    let header = Fixtures.render(state, width: 80, height: 24).text(row: 2)
    XCTAssertTrue(header.contains("NOT") && header.contains("pid \(first?.pid ?? 0)"), header)
    _ = state.handle(.char("o"))
    _ = state.handle(.char("~"))
    XCTAssertEqual(state.rows.count, Fixtures.connections.count)
  }

  /// In the grouped view `o` takes the selected group's process.
  func testOInTheGroupedView() {
    var state = Fixtures.state(flow: true)
    _ = state.handle(.char("g"))
    let group = state.selectedGroup
    _ = state.handle(.char("o"))
    XCTAssertEqual(state.groups.count, 1)
    XCTAssertEqual(state.groups.first?.key, group?.key)
  }
}
