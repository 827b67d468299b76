import KatopModel
import XCTest
@testable import KatopUI

/// With `r` (risky only) on, a risky connection that closes lingers greyed for its 3 s like any
/// closed row, even when its last states (LAST-ACK) carried no risk.
final class RiskyLingerTests: XCTestCase {
  func testClosedRiskyRowLingersInTheRiskyOnlyView() {
    var state = Fixtures.state()
    _ = state.handle(.char("r"))
    XCTAssertTrue(state.filter.riskyOnly)
    let risky = Fixtures.connections[5]  // mysqld, no-keepalive
    XCTAssertTrue(risky.hasRisks)
    XCTAssertNotNil(state.rows.first { $0.cookie == risky.record.cookie })
    // Its last refresh: LAST-ACK, no risk any more; it leaves the view while open...
    let closing = Connection(
      record: risky.record.with { $0.state = .lastAck }, owner: risky.owner, keepalive: risky.keepalive, idleMs: 0, risks: [])
    var others = Fixtures.connections
    others[5] = closing
    state.apply(connections: others, system: Fixtures.system, status: Fixtures.status, now: 20_000)
    XCTAssertNil(state.rows.first { $0.cookie == risky.record.cookie }, "open and not risky: filtered")
    // ... and comes back greyed when it closes, for 3 s.
    let open = Fixtures.connections.filter { $0.record.cookie != risky.record.cookie }
    state.apply(connections: open, system: Fixtures.system, status: Fixtures.status, now: 21_000)
    XCTAssertEqual(state.rows.first { $0.cookie == risky.record.cookie }?.status, .closed)
    let screen = Fixtures.render(state, width: 80, height: 24)
    XCTAssertTrue(screen.roles.joined().contains(.closedRow) || state.selectedRow?.cookie == risky.record.cookie)
    state.tick(now: 24_100)
    XCTAssertNil(state.rows.first { $0.cookie == risky.record.cookie }, "gone after its linger")
  }

  func testClosedRowThatNeverHadARiskStaysOutOfTheRiskyOnlyView() {
    var state = Fixtures.state()
    _ = state.handle(.char("r"))
    let calm = Fixtures.connections[2]  // mysqld, keepalive on, no risk
    XCTAssertFalse(calm.hasRisks)
    let open = Fixtures.connections.filter { $0.record.cookie != calm.record.cookie }
    state.apply(connections: open, system: Fixtures.system, status: Fixtures.status, now: 20_000)
    XCTAssertNil(state.rows.first { $0.cookie == calm.record.cookie })
    _ = state.handle(.char("r"))
    XCTAssertEqual(state.rows.first { $0.cookie == calm.record.cookie }?.status, .closed, "the flat view shows it lingering")
  }
}

extension SocketRecord {
  func with(_ change: (inout SocketRecord) -> Void) -> SocketRecord {
    var r = self
    change(&r)
    return r
  }
}
