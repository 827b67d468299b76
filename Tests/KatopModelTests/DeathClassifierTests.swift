import Foundation
import XCTest

@testable import KatopModel

/// Why a connection died, from its last tcp_info and what katop knew: a table of cases, then the
/// join with the store (owner, lifetime, budget) and the Closed view's bounded ring buffer.
final class DeathClassifierTests: XCTestCase {
  /// A destroy message: state CLOSE, no inode, tcp_info with the given fields.
  func death(
    cookie: UInt64 = 7, probes: UInt8 = 0, retransmits: UInt8 = 0, unacked: UInt32 = 0, idleMs: UInt32 = 3000,
    lastAckMs: UInt32? = nil, acked: UInt64 = 12, sent: UInt64? = 10, retrans: UInt64 = 0, atMs: UInt64 = 50_000
  ) -> SocketDeath {
    var info = TCPInfo()
    info.probes = probes
    info.retransmits = retransmits
    info.unacked = unacked
    info.lastDataRecvMs = idleMs
    info.lastAckRecvMs = lastAckMs ?? idleMs
    info.lastDataSentMs = idleMs
    info.bytesAcked = acked
    var record = Fixture.record(state: .close, inode: 0, cookie: cookie, info: info)
    record.uid = 0
    return SocketDeath(record: record, bytesSent: sent, bytesRetrans: retrans, receivedAtMs: atMs)
  }

  func known(_ options: SocketOptions?, state: TCPState = .established, synCredit: UInt8? = nil) -> Connection {
    var info = Fixture.info(idleMs: 1000)
    info.synCredit = synCredit
    return Fixture.connection(
      Fixture.record(state: state, info: info), options: options, owner: Owner(pid: 42, command: "php-fpm", uid: 33, fd: 9))
  }

  func testCausesFromTheEvidence() {
    let ka = Fixture.options(true, 1, 1, 2)
    let ut = Fixture.options(true, 1, 1, 9, userTimeoutMs: 2500)
    let resets = AbortCounters(estabResets: 1)
    let none = AbortCounters(estabResets: 0)
    let cases: [(String, SocketDeath, Connection?, KatopKill?, AbortCounters?, DeathCause, String)] = [
      ("journal names the cookie", death(probes: 2), known(ka), KatopKill(cookie: 7, pid: 99), nil, .killedByKatop, "pid 99"),
      ("probes out == keepcnt", death(probes: 2, acked: 11), known(ka), nil, resets, .keepalive, "2/2 probes"),
      ("probes below keepcnt are not a keepalive death", death(probes: 1, acked: 11), known(ka), nil, resets, .reset, "data + 1"),
      ("sysctl keepcnt for an unknown socket", death(probes: 9, acked: 11), nil, nil, nil, .keepalive, "9/9 probes"),
      ("user timeout passed with a probe out", death(probes: 1, idleMs: 3000), known(ut), nil, nil, .userTimeout, "TCP_USER_TIMEOUT 2500 ms"),
      ("user timeout with retransmissions", death(retransmits: 5, unacked: 1, lastAckMs: 2600), known(ut), nil, nil, .userTimeout, "5 retransmissions"),
      ("retransmissions ran out", death(retransmits: 15, unacked: 2), known(ka), nil, nil, .retransmissionTimeout, "tcp_retries2 15"),
      ("last seen closing", death(acked: 11), known(ka, state: .closeWait), nil, nil, .orderlyClose, "CLOSE_WAIT"),
      ("FIN acked beyond SYN", death(acked: 12, sent: 10), known(nil), nil, resets, .orderlyClose, "FIN acknowledged"),
      ("no FIN (server side)", death(acked: 10, sent: 10), known(nil), nil, none, .reset, "data only"),
      ("retransmitted bytes do not count twice", death(acked: 12, sent: 14, retrans: 4), known(nil), nil, none, .orderlyClose, "FIN"),
      ("accepting side: +1 is its FIN", death(acked: 11), known(nil, synCredit: 0), nil, resets, .orderlyClose, "data + FIN"),
      ("connecting side: +1 is its SYN", death(acked: 11), known(nil, synCredit: 1), nil, none, .reset, "data + SYN only"),
      ("connecting side with FIN", death(acked: 12), known(nil, synCredit: 1), nil, resets, .orderlyClose, "SYN + FIN"),
      ("ambiguous +1 with a reset counted", death(acked: 11), nil, nil, resets, .reset, "EstabResets +1"),
      ("ambiguous +1 without resets", death(acked: 11), nil, nil, none, .orderlyClose, "no abort counted"),
    ]
    for (name, d, k, kill, counters, cause, evidence) in cases {
      let (got, text) = DeathClassifier.classify(d, known: k, system: SystemInfo(), kill: kill, counters: counters)
      XCTAssertEqual(got, cause, "\(name): \(text)")
      XCTAssertTrue(text.contains(evidence), "\(name): '\(text)' lacks '\(evidence)'")
    }
  }

  func testJoinNamesOwnerLifetimeIdleAndBudget() throws {
    var store = ConnectionStore(profile: .aws)
    let alive = Fixture.record(idleMs: 200_000, inode: 500, cookie: 7)
    let owner = Owner(pid: 42, command: "php-fpm", uid: 33, fd: 9)
    let snap = Snapshot(system: SystemInfo(), sockets: [], takenAtMs: 0)
    store.merge(snap, coverage: .complete, nowMs: 1000)
    let withRow = Snapshot(system: SystemInfo(), sockets: [alive], owners: [500: owner], options: [500: Fixture.options(false, 7200, 75, 9)])
    store.merge(withRow, coverage: .complete, nowMs: 2000)
    let c = store.closedConnection(for: death(idleMs: 351_000, acked: 11, atMs: 353_000), kill: nil, counters: nil)
    XCTAssertTrue(c.known)
    XCTAssertEqual(c.owner?.command, "php-fpm")
    XCTAssertEqual(c.lifetimeMs, 351_000)
    XCTAssertFalse(c.lifetimeAtLeast)
    XCTAssertEqual(c.idleMs, 351_000)
    XCTAssertEqual(c.budgetSeconds, 350)
    XCTAssertTrue(c.summary.contains("died after 351 s idle on a 350 s aws budget, no keepalive"), c.summary)
    XCTAssertTrue(c.risks.contains(.noKeepalive))
    let line = ClosedReport.jsonLine(c, time: "2026-12-03T05:00:00Z")
    let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    XCTAssertEqual(object["cause"] as? String, c.cause.rawValue)
    XCTAssertEqual((object["owner"] as? [String: Any])?["command"] as? String, "php-fpm")
    XCTAssertEqual(object["lifetimeMs"] as? Int, 351_000)

    let unknown = store.closedConnection(for: death(cookie: 99, atMs: 400_000), kill: nil, counters: nil)
    XCTAssertFalse(unknown.known)
    XCTAssertNil(unknown.owner)
    XCTAssertNil(unknown.lifetimeMs)
  }

  func testRingBufferKeepsTheNewestAndStaysBounded() {
    var log = ClosedLog(capacity: 1000)
    var store = ConnectionStore(lingerMs: 0)
    store.merge(Snapshot(system: SystemInfo(), sockets: []), coverage: .complete, nowMs: 0)
    // 100k connections open, die and are logged, 100 at a time.
    for batch in 0..<1000 {
      let cookies = (0..<100).map { UInt64(batch * 100 + $0 + 1) }
      let records = cookies.map { Fixture.record(inode: UInt32(truncatingIfNeeded: $0), cookie: $0) }
      let now = UInt64(batch * 10 + 1)
      store.merge(Snapshot(system: SystemInfo(), sockets: records), coverage: .complete, nowMs: now)
      for cookie in cookies {
        log.append(store.closedConnection(for: death(cookie: cookie, atMs: now + 1), kill: nil, counters: nil))
      }
      store.merge(Snapshot(system: SystemInfo(), sockets: []), coverage: .complete, nowMs: now + 2)
    }
    XCTAssertEqual(log.total, 100_000)
    XCTAssertEqual(log.count, 1000, "the ring keeps its capacity")
    XCTAssertEqual(log.dropped, 99_000)
    XCTAssertEqual(log[newest: 0].cookie, 100_000, "newest first")
    XCTAssertEqual(log[newest: 999].cookie, 99_001)
    XCTAssertEqual(log.newestFirst.map(\.cookie), (99_001...100_000).reversed().map { UInt64($0) })
    XCTAssertTrue(log[newest: 0].known, "joined while the row lingered")
    XCTAssertLessThanOrEqual(store.rows.count, 200, "the store reuses the slots of the dead")
    XCTAssertEqual(store.departed.count, DepartedRows.capacity, "freed rows kept for late joins, bounded")
    // A death heard after its row was freed still finds it.
    let late = store.closedConnection(for: death(cookie: 99_999, atMs: 20_000), kill: nil, counters: nil)
    XCTAssertTrue(late.known)
    XCTAssertNil(store.departed[1], "the oldest freed rows are forgotten")
  }
}
