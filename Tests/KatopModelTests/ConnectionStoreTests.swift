import XCTest

@testable import KatopModel

/// The persistent store: rows keyed by cookie, updated in place, stamped new / closed, counters
/// kept from the previous refresh. No kernel: snapshots built from records.
final class ConnectionStoreTests: XCTestCase {
  func snapshot(_ records: [SocketRecord], owners: [UInt32: Owner] = [:], options: [UInt32: SocketOptions] = [:])
    -> Snapshot
  {
    Snapshot(system: SystemInfo(), sockets: records, owners: owners, options: options)
  }

  func records(_ cookies: [UInt64], idleMs: UInt32 = 1000) -> [SocketRecord] {
    cookies.map { Fixture.record(idleMs: idleMs, inode: UInt32(1000 + $0), cookie: $0) }
  }

  func testFirstSnapshotIsABaselineThenNewRowsAreStamped() {
    var store = ConnectionStore()
    store.merge(snapshot(records([1, 2, 3])), coverage: .complete, nowMs: 1000)
    XCTAssertEqual(store.occupiedSlots.count, 3)
    XCTAssertTrue(store.rows.allSatisfy { $0.firstSeenMs == nil }, "baseline rows are never new")
    store.merge(snapshot(records([1, 2, 3, 4])), coverage: .complete, nowMs: 2000)
    let four = try! XCTUnwrap(store.slot(of: 4))
    XCTAssertEqual(store.rows[four].firstSeenMs, 2000)
    XCTAssertEqual(store.rows[try! XCTUnwrap(store.slot(of: 1))].firstSeenMs, nil)
    XCTAssertEqual(store.counts.total, 4)
  }

  func testGoneRowsCloseLingerAndFreeTheirSlot() {
    var store = ConnectionStore(lingerMs: 3000)
    store.merge(snapshot(records([1, 2, 3])), coverage: .complete, nowMs: 1000)
    let slot2 = try! XCTUnwrap(store.slot(of: 2))
    store.merge(snapshot(records([1, 3])), coverage: .complete, nowMs: 2000)
    XCTAssertEqual(store.rows[slot2].closedAtMs, 2000)
    XCTAssertEqual(store.counts.total, 2, "counts cover the open rows only")
    XCTAssertEqual(store.occupiedSlots.count, 3, "the closed row lingers")
    XCTAssertEqual(store.nextExpiryMs(), 5000)
    XCTAssertFalse(store.expire(nowMs: 4999))
    XCTAssertTrue(store.expire(nowMs: 5000))
    XCTAssertNil(store.slot(of: 2))
    XCTAssertTrue(store.rows[slot2].vacant)
    store.merge(snapshot(records([1, 3, 9])), coverage: .complete, nowMs: 6000)
    XCTAssertEqual(store.slot(of: 9), slot2, "the free slot is reused")
    XCTAssertEqual(store.rows.count, 3)
  }

  func testAClosedSocketThatReappearsIsOpenAgain() {
    var store = ConnectionStore()
    store.merge(snapshot(records([1, 2])), coverage: .complete, nowMs: 1000)
    store.merge(snapshot(records([1])), coverage: .complete, nowMs: 2000)
    store.merge(snapshot(records([1, 2])), coverage: .complete, nowMs: 2500)
    XCTAssertNil(store.rows[try! XCTUnwrap(store.slot(of: 2))].closedAtMs)
  }

  /// /proc/net/tcp gives no cookies: the rows still stay apart, and stay the same rows.
  func testRowsWithoutCookiesAreKeyedByTheirAddresses() {
    let other = Endpoint(address: .v4(127, 0, 0, 1), port: 40001)
    let recs = [
      Fixture.record(state: .listen, idleMs: nil, inode: 7, cookie: 0, remote: Endpoint(address: .v4(0, 0, 0, 0), port: 0)),
      Fixture.record(idleMs: nil, inode: 8, cookie: 0),
      Fixture.record(idleMs: nil, inode: 9, cookie: 0, local: other),
    ]
    var store = ConnectionStore()
    store.merge(snapshot(recs), coverage: .complete, nowMs: 1000)
    XCTAssertEqual(store.occupiedSlots.count, 3)
    store.merge(snapshot(recs), coverage: .complete, nowMs: 2000)
    XCTAssertEqual(store.occupiedSlots.count, 3)
    XCTAssertTrue(store.rows.allSatisfy { $0.closedAtMs == nil && $0.firstSeenMs == nil })
    XCTAssertEqual(Set(recs.map(ConnectionStore.key(of:))).count, 3)
  }

  func testPartialSnapshotsRefreshWithoutClosing() {
    var store = ConnectionStore()
    store.merge(snapshot(records([1, 2, 3])), coverage: .complete, nowMs: 1000)
    store.merge(snapshot(records([2], idleMs: 5000)), coverage: .partial, nowMs: 2000)
    XCTAssertTrue(store.rows.allSatisfy { $0.closedAtMs == nil })
    let two = store.rows[try! XCTUnwrap(store.slot(of: 2))]
    XCTAssertEqual(two.connection.idleMs, 5000)
    XCTAssertEqual(two.refreshedAtMs, 2000)
    XCTAssertEqual(store.rows[try! XCTUnwrap(store.slot(of: 1))].refreshedAtMs, 1000)
    XCTAssertEqual(store.completeAtMs, 1000)
    XCTAssertEqual(store.refreshedAtMs, 2000)
  }

  func testUnchangedRowsAreNotRebuilt() {
    var store = ConnectionStore()
    let same = records(Array(1...50))
    store.merge(snapshot(same), coverage: .complete, nowMs: 1000)
    XCTAssertEqual(store.lastRebuilt, 50)
    store.merge(snapshot(same), coverage: .complete, nowMs: 2000)
    XCTAssertEqual(store.lastRebuilt, 0)
    var changed = same
    changed[7] = Fixture.record(idleMs: 9999, inode: changed[7].inode, cookie: changed[7].cookie)
    store.merge(snapshot(changed), coverage: .complete, nowMs: 3000)
    XCTAssertEqual(store.lastRebuilt, 1)
    XCTAssertEqual(store.rows[try! XCTUnwrap(store.slot(of: 8))].connection.idleMs, 9999)
  }

  func testWhatTheRowWatchedAndLastActivity() {
    func record(segsIn: UInt32, segsOut: UInt32, idleMs: UInt32, bytesReceived: UInt64 = 0) -> SocketRecord {
      var info = Fixture.info(idleMs: idleMs)
      info.segsIn = segsIn
      info.segsOut = segsOut
      info.bytesAcked = 1000
      info.bytesReceived = bytesReceived
      return Fixture.record(inode: 1001, cookie: 1, info: info)
    }
    var store = ConnectionStore()
    store.merge(snapshot([record(segsIn: 10, segsOut: 10, idleMs: 100)]), coverage: .complete, nowMs: 1000)
    var row = store.rows[0]
    XCTAssertEqual(row.watched.seenMs, 1000)
    XCTAssertNil(row.lastActivityMs)
    // Idle grows, no segment moved: no activity.
    store.merge(snapshot([record(segsIn: 10, segsOut: 10, idleMs: 1100)]), coverage: .complete, nowMs: 2000)
    row = store.rows[0]
    XCTAssertNil(row.lastActivityMs)
    XCTAssertEqual(row.watched.seenMs, 2000)
    // A segment in while last_data_recv / last_ack_recv kept growing: the peer's keepalive probe.
    store.merge(snapshot([record(segsIn: 11, segsOut: 11, idleMs: 2100)]), coverage: .complete, nowMs: 3000)
    row = store.rows[0]
    XCTAssertEqual(row.lastActivityMs, 3000)
    XCTAssertEqual(row.watched.lastPeerOnlyMs, 3000)
    XCTAssertNil(row.watched.lastDataMs)
    // Data: bytes move and the receive idle restarts.
    store.merge(snapshot([record(segsIn: 12, segsOut: 12, idleMs: 0, bytesReceived: 50)]), coverage: .complete, nowMs: 4000)
    row = store.rows[0]
    XCTAssertEqual(row.lastActivityMs, 4000)
    XCTAssertEqual(row.watched.lastPeerOnlyMs, 3000)
    XCTAssertEqual(row.watched.lastDataMs, 4000)
    XCTAssertEqual(row.refreshedAtMs, 4000)
    // A record without tcp_info: only the sighting is kept.
    store.merge(snapshot([Fixture.record(inode: 1001, cookie: 1, info: nil)]), coverage: .complete, nowMs: 5000)
    row = store.rows[0]
    XCTAssertEqual(row.watched.seenMs, 5000)
    XCTAssertEqual(row.lastActivityMs, 4000)
  }

  func testOwnersAndSettingsAreKeptWhenARefreshDoesNotReadThem() {
    let owner = Owner(pid: 42, command: "svc", uid: 0, fd: 5)
    let opts = Fixture.options(true, 60, 10, 3)
    var store = ConnectionStore()
    store.merge(snapshot(records([1]), owners: [1001: owner], options: [1001: opts]), coverage: .complete, nowMs: 1000)
    store.merge(snapshot(records([1], idleMs: 2000)), coverage: .complete, nowMs: 2000, ownersRead: false, optionsRead: false)
    let row = store.rows[0]
    XCTAssertEqual(row.connection.owner, owner)
    XCTAssertEqual(row.options, opts)
    XCTAssertEqual(row.connection.keepalive.idleSeconds, 60)
    XCTAssertEqual(row.connection.idleMs, 2000)
    // A refresh that did read them and found none: the row follows.
    store.merge(snapshot(records([1], idleMs: 3000)), coverage: .complete, nowMs: 3000)
    XCTAssertNil(store.rows[0].connection.owner)
  }

  func testProfileChangeReevaluatesEveryRow() {
    var store = ConnectionStore(profile: .aws)
    store.merge(snapshot(records([1, 2], idleMs: 250_000)), coverage: .complete, nowMs: 1000)
    XCTAssertEqual(store.counts.warning, 2)  // aws 350 s: 250 s idle is past half
    store.setProfile(MiddleboxProfile.named("azure") ?? .aws)
    XCTAssertEqual(store.counts.critical, 2)
    XCTAssertEqual(store.rows[0].connection.worstSeverity, .critical)
  }

  /// 20k records: the store's rows are the plain analysis' rows.
  func testMergedRowsMatchPlainAnalysis() {
    var recs: [SocketRecord] = []
    for i in 0..<20_000 {
      recs.append(Fixture.record(
        state: i % 7 == 0 ? .closeWait : .established, idleMs: UInt32(i * 37), inode: UInt32(1000 + i),
        cookie: UInt64(i + 1)))
    }
    var snap = snapshot(recs)
    snap.owners[1003] = Owner(pid: 9, command: "svc", uid: 0, fd: 4)
    snap.options[1004] = Fixture.options(true, 60, 10, 3)
    let plain = Analyzer.analyze(snap, profile: .aws)
    var store = ConnectionStore()
    store.merge(snap, coverage: .complete, nowMs: 1)
    let stored = store.rows.map(\.connection)
    XCTAssertTrue(stored == plain)  // (not XCTAssertEqual: a failure would print 20k rows)
    XCTAssertEqual(store.counts, ConnectionCounts(plain))
    XCTAssertGreaterThan(store.counts.critical + store.counts.warning, 1000)
  }
}
