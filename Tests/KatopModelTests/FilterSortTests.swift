import KatopModel
import XCTest

final class FilterSortTests: XCTestCase {
  func rows() -> [Connection] {
    [
      Fixture.connection(
        Fixture.record(idleMs: 10_000, inode: 1, cookie: 10), owner: Owner(pid: 1, command: "Postgres", uid: 0, fd: 3)),
      Fixture.connection(Fixture.record(idleMs: 400_000, inode: 2, cookie: 20)),  // no-keepalive critical
      Fixture.connection(
        Fixture.record(state: .listen, idleMs: nil, inode: 3, cookie: 30,
                       local: Endpoint(address: .v4(0, 0, 0, 0), port: 22), remote: Endpoint(address: .v4(0, 0, 0, 0), port: 0))),
      Fixture.connection(Fixture.record(idleMs: 200_000, inode: 4, cookie: 40)),  // no-keepalive warning
      Fixture.connection(Fixture.record(timer: .keepalive, expiresMs: 7_199_000, idleMs: 1000, inode: 5, cookie: 5)),
    ]
  }

  func cookies(_ filter: ConnectionFilter) -> [UInt64] { rows().filter(filter.matches).map(\.record.cookie) }

  func testFilters() {
    XCTAssertEqual(cookies(ConnectionFilter()), [10, 20, 30, 40, 5])
    XCTAssertEqual(cookies(ConnectionFilter(ports: [22])), [30])
    XCTAssertEqual(cookies(ConnectionFilter(ports: [5432])), [10, 20, 40, 5])
    XCTAssertEqual(cookies(ConnectionFilter(states: [.listen])), [30])
    XCTAssertEqual(cookies(ConnectionFilter(riskyOnly: true)), [20, 40, 5])
    XCTAssertEqual(cookies(ConnectionFilter(text: "postgres")), [10])
    XCTAssertEqual(cookies(ConnectionFilter(text: "0.0.0.0:22")), [30])
    XCTAssertEqual(cookies(ConnectionFilter(text: "nothing-matches")), [])
    XCTAssertEqual(cookies(ConnectionFilter(text: "LiStEn")), [30])
    XCTAssertEqual(cookies(ConnectionFilter(text: "1/POST")), [10])
    XCTAssertTrue(ConnectionFilter().isEmpty)
    XCTAssertFalse(ConnectionFilter(riskyOnly: true).isEmpty)
  }

  /// The lowercased needle follows the text when it is set after init (the TUI's prompt).
  func testTextSetLaterMatches() {
    var filter = ConnectionFilter()
    filter.text = "POSTGRES"
    XCTAssertEqual(cookies(filter), [10])
    filter.text = ""
    XCTAssertEqual(cookies(filter), [10, 20, 30, 40, 5])
    XCTAssertEqual(filter, ConnectionFilter())
  }

  func sorted(_ column: SortColumn, descending: Bool) -> [UInt64] {
    var r = rows()
    SortOrder(column: column, descending: descending).sort(&r)
    return r.map(\.record.cookie)
  }

  func testSorts() {
    // Risk: critical first, then warnings by idle (desc); ties on cookie.
    XCTAssertEqual(sorted(.risk, descending: true), [20, 40, 5, 10, 30])
    XCTAssertEqual(sorted(.idle, descending: false), [30, 5, 10, 40, 20])
    XCTAssertEqual(sorted(.idle, descending: true), [20, 40, 10, 5, 30])
    XCTAssertEqual(sorted(.state, descending: false).last, 30)
    XCTAssertEqual(sorted(.keepalive, descending: true).first, 5)
    // Never-detected sorts after any finite time ascending.
    XCTAssertEqual(sorted(.detect, descending: false).first, 5)
    XCTAssertEqual(sorted(.local, descending: false).first, 30)
  }

  /// The pairwise comparator puts rows in exactly the order `sort(_:)` does, for every column.
  func testComparatorAgreesWithSort() {
    for column in SortColumn.allCases {
      for descending in [false, true] {
        let order = SortOrder(column: column, descending: descending)
        let byComparator = rows().sorted(by: order.areInIncreasingOrder).map(\.record.cookie)
        XCTAssertEqual(byComparator, sorted(column, descending: descending), "\(column) descending \(descending)")
      }
    }
  }
}
