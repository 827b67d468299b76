import XCTest

@testable import KatopModel

/// A walk merged in parts (the TUI's full-table walks) leaves the store exactly as merging the
/// same walk whole does: rows updated, new ones stamped, missing ones closed, owners found only
/// at the walk's end attached then, with their settings.
final class WalkPartsTests: XCTestCase {
  let owner = Owner(pid: 42, command: "mariadbd", uid: 0, fd: 9)

  func records(_ cookies: [UInt64], idleMs: UInt32 = 1000) -> [SocketRecord] {
    cookies.map { Fixture.record(idleMs: idleMs, inode: UInt32(1000 + $0), cookie: $0) }
  }

  func owners(_ cookies: [UInt64]) -> [UInt32: Owner] {
    Dictionary(uniqueKeysWithValues: cookies.map { (UInt32(1000 + $0), owner) })
  }

  /// Every row as (key, connection, closed at, first seen), by key.
  func table(_ store: ConnectionStore) -> [UInt64: (Connection, UInt64?, UInt64?)] {
    var out: [UInt64: (Connection, UInt64?, UInt64?)] = [:]
    for r in store.rows where !r.vacant { out[r.key] = (r.connection, r.closedAtMs, r.firstSeenMs) }
    return out
  }

  func assertSame(_ a: ConnectionStore, _ b: ConnectionStore, file: StaticString = #filePath, line: UInt = #line) {
    let ta = table(a), tb = table(b)
    XCTAssertEqual(Set(ta.keys), Set(tb.keys), file: file, line: line)
    for (key, x) in ta {
      guard let y = tb[key] else { continue }
      XCTAssertEqual(x.0, y.0, "row \(key)", file: file, line: line)
      XCTAssertEqual(x.1, y.1, "closed at, row \(key)", file: file, line: line)
      XCTAssertEqual(x.2, y.2, "first seen, row \(key)", file: file, line: line)
    }
    XCTAssertEqual(a.counts, b.counts, file: file, line: line)
  }

  func testAWalkInPartsLeavesTheStoreAsTheWholeWalkDoes() {
    let first = Snapshot(system: SystemInfo(), sockets: records(Array(1...10)), owners: owners(Array(1...10)))
    // The second walk: 3 is gone, 1's idle moved, 11 and 12 are new; 12's owner is found only
    // by the owner scan at the walk's end, with its settings.
    var second = records([1], idleMs: 5000) + records([2, 4, 5, 6, 7, 8, 9, 10, 11, 12])
    second.swapAt(0, 5)
    let settings = Fixture.options(true, 60, 10, 4)
    let all = owners([1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12])

    var whole = ConnectionStore()
    whole.merge(first, coverage: .complete, nowMs: 1000)
    whole.merge(
      Snapshot(system: SystemInfo(), sockets: second, owners: all, options: [1012: settings]), coverage: .complete, nowMs: 2000)

    var parts = ConnectionStore()
    parts.merge(first, coverage: .complete, nowMs: 1000)
    parts.beginWalk(system: SystemInfo(), expectedCount: second.count)
    XCTAssertTrue(parts.isMergingWalk)
    let known = owners([1, 2, 4, 5, 6, 7, 8, 9, 10, 11])
    for chunk in stride(from: 0, to: second.count, by: 4) {
      let slice = Array(second[chunk..<min(chunk + 4, second.count)])
      parts.mergeWalkPart(WalkPart(records: slice, owners: known, system: SystemInfo(), expectedCount: second.count), nowMs: 2000)
    }
    let three = try! XCTUnwrap(parts.slot(of: 3))
    XCTAssertNil(parts.rows[three].closedAtMs, "a row is closed only at the walk's end")
    let twelve = try! XCTUnwrap(parts.slot(of: 12))
    XCTAssertNil(parts.rows[twelve].connection.owner, "12's owner is not known yet")
    parts.endWalk(Snapshot(system: SystemInfo(), sockets: [], owners: all, options: [1012: settings]), nowMs: 2000)
    XCTAssertFalse(parts.isMergingWalk)

    XCTAssertEqual(parts.rows[three].closedAtMs, 2000)
    XCTAssertEqual(parts.rows[twelve].connection.owner, owner)
    XCTAssertEqual(parts.rows[twelve].options, settings)
    XCTAssertEqual(parts.rows[twelve].connection.keepalive.source, .socket)
    XCTAssertEqual(parts.rows[twelve].firstSeenMs, 2000)
    assertSame(whole, parts)
  }

  /// The first walk into an empty store, in parts, is the baseline (no row "new") and its
  /// records' owners are those of its parts.
  func testAWalkInPartsIntoAnEmptyStoreIsTheBaseline() {
    var store = ConnectionStore()
    store.beginWalk(system: SystemInfo(), expectedCount: 6)
    store.mergeWalkPart(WalkPart(records: records([1, 2, 3]), owners: owners([1, 2, 3]), system: SystemInfo()), nowMs: 500)
    store.mergeWalkPart(WalkPart(records: records([4, 5, 6]), owners: owners([4, 5, 6]), system: SystemInfo()), nowMs: 500)
    store.endWalk(Snapshot(system: SystemInfo(), sockets: []), nowMs: 500)
    XCTAssertEqual(store.counts.total, 6)
    XCTAssertTrue(store.rows.allSatisfy { $0.firstSeenMs == nil && $0.connection.owner == owner })
    XCTAssertEqual(store.completeAtMs, 500)
  }

  /// The rest may carry records (a walk that fell back to /proc half-way): they are merged too.
  func testTheRestsRecordsAreMergedAndAnAbandonedWalkClosesNothing() {
    var store = ConnectionStore()
    store.merge(Snapshot(system: SystemInfo(), sockets: records([1, 2, 3])), coverage: .complete, nowMs: 1000)
    store.beginWalk(system: SystemInfo(), expectedCount: 3)
    store.mergeWalkPart(WalkPart(records: records([1]), system: SystemInfo()), nowMs: 2000)
    store.endWalk(Snapshot(system: SystemInfo(), sockets: records([2, 4])), nowMs: 2000)
    XCTAssertEqual(store.rows[try! XCTUnwrap(store.slot(of: 3))].closedAtMs, 2000)
    XCTAssertNil(store.rows[try! XCTUnwrap(store.slot(of: 2))].closedAtMs)
    XCTAssertEqual(store.rows[try! XCTUnwrap(store.slot(of: 4))].firstSeenMs, 2000)

    store.beginWalk(system: SystemInfo(), expectedCount: 3)
    store.mergeWalkPart(WalkPart(records: records([1]), system: SystemInfo()), nowMs: 3000)
    store.abandonWalk()
    XCTAssertFalse(store.isMergingWalk)
    XCTAssertNil(store.rows[try! XCTUnwrap(store.slot(of: 2))].closedAtMs, "an abandoned walk closes nothing")
    XCTAssertEqual(store.counts.total, 3)
  }
}
