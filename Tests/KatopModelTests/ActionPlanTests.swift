import Foundation
import KatopModel
import XCTest

final class ActionPlanTests: XCTestCase {
  func testCIDRParsesAndContains() throws {
    let net = try XCTUnwrap(CIDR("192.0.2.0/24"))
    XCTAssertTrue(net.contains(.v4(192, 0, 2, 77)))
    XCTAssertFalse(net.contains(.v4(192, 0, 3, 1)))
    // IPv4-mapped IPv6 counts as its IPv4 address.
    XCTAssertTrue(net.contains(.v6(hi: 0, lo: 0xFFFF_C000_0201)))
    let one = try XCTUnwrap(CIDR("127.0.0.1"))
    XCTAssertEqual(one.prefixLength, 32)
    XCTAssertTrue(one.contains(.v4(127, 0, 0, 1)))
    XCTAssertFalse(one.contains(.v4(127, 0, 0, 2)))
    let v6 = try XCTUnwrap(CIDR("2001:db8::/32"))
    XCTAssertTrue(v6.contains(.v6(hi: 0x2001_0DB8_FFFF_0000, lo: 1)))
    XCTAssertFalse(v6.contains(.v6(hi: 0x2001_0DB9_0000_0000, lo: 1)))
    XCTAssertFalse(v6.contains(.v4(32, 1, 13, 184)))
    XCTAssertTrue(try XCTUnwrap(CIDR("::1")).contains(.v6(hi: 0, lo: 1)))
    XCTAssertTrue(try XCTUnwrap(CIDR("0.0.0.0/0")).contains(.v4(8, 8, 8, 8)))
    XCTAssertTrue(try XCTUnwrap(CIDR("2001:db8::/65")).contains(.v6(hi: 0x2001_0DB8_0000_0000, lo: 0x7FFF_0000_0000_0000)))
    XCTAssertFalse(try XCTUnwrap(CIDR("2001:db8::/65")).contains(.v6(hi: 0x2001_0DB8_0000_0000, lo: 0x8000_0000_0000_0000)))
    for bad in ["", "1.2.3", "1.2.3.4/33", "256.0.0.1", "1.2.3.4/", "1.2.3.4/x", "2001:db8:::1", "::1/129", "1:2:3:4:5:6:7:8:9", "a.b.c.d"] {
      XCTAssertNil(CIDR(bad), bad)
    }
    XCTAssertEqual(CIDR("2001:db8::/32")?.description, "2001:db8::/32")
  }

  func rows() -> [Connection] {
    [
      Fixture.connection(Fixture.record(idleMs: 10_000, inode: 1, cookie: 10), owner: Owner(pid: 811, command: "php-fpm", uid: 0, fd: 3)),
      Fixture.connection(Fixture.record(idleMs: 4_000_000, inode: 2, cookie: 20), owner: Owner(pid: 812, command: "php-fpm", uid: 0, fd: 4)),
      Fixture.connection(Fixture.record(state: .listen, idleMs: nil, inode: 3, cookie: 30), owner: Owner(pid: 811, command: "php-fpm", uid: 0, fd: 5)),
      Fixture.connection(Fixture.record(idleMs: 4_000_000, inode: 4, cookie: 40)),  // no owner
      Fixture.connection(Fixture.record(state: .timeWait, idleMs: nil, inode: 0, cookie: 50)),
    ]
  }

  func selected(_ s: ActionSelection, _ kind: ActionKind) -> [UInt64] {
    rows().filter { s.matches($0, for: kind) }.map(\.record.cookie)
  }

  func testSelectionDefaultsToConnectionsAndNeedsAnOwnerForKeepalive() {
    let all = ActionSelection()
    XCTAssertTrue(all.selectsEverything)
    XCTAssertEqual(selected(all, .setKeepalive), [10, 20])
    XCTAssertEqual(selected(all, .kill), [10, 20, 40])
    XCTAssertEqual(selected(ActionSelection(filter: ConnectionFilter(states: [.listen])), .kill), [30])
    XCTAssertEqual(selected(ActionSelection(pids: [812]), .kill), [20])
    XCTAssertEqual(selected(ActionSelection(commands: ["php-fpm"]), .setKeepalive), [10, 20])
    XCTAssertEqual(selected(ActionSelection(idleOverMs: 3_600_000), .kill), [20, 40])
    XCTAssertEqual(selected(ActionSelection(idleOverMs: 5_000_000), .kill), [])
    XCTAssertEqual(selected(ActionSelection(riskIDs: [.noKeepalive]), .kill), [20, 40])
    XCTAssertEqual(selected(ActionSelection(remotes: [CIDR("10.0.0.0/8")!]), .kill), [])
    XCTAssertEqual(selected(ActionSelection(filter: ConnectionFilter(ports: [5432])), .kill), [10, 20, 40])
    XCTAssertFalse(ActionSelection(pids: [1]).selectsEverything)
  }

  func testPlanSummaryNamesValuesCountsAndOwners() {
    let r = rows()
    let plan = ActionPlan(kind: .setKeepalive, connections: [r[0], r[1]]) { _ in
      KeepaliveChange(idleSeconds: 300, intervalSeconds: 30, probes: 5)
    }
    XCTAssertEqual(plan.summary, "set keepalive 300/30/5 on 2 sockets of php-fpm (pids 811, 812)")
    var many: [Connection] = []
    for i in 0..<5 {
      let owner = Owner(pid: Int32(900 + i), command: "redis-server", uid: 0, fd: 7)
      many.append(Fixture.connection(Fixture.record(inode: UInt32(10 + i), cookie: UInt64(i)), owner: owner))
    }
    let kill = ActionPlan(kind: .kill, connections: many + [r[3]]) { _ in nil }
    XCTAssertEqual(kill.summary, "end 6 connections of redis-server (pids 900, 901, 902, ...) with SOCK_DESTROY (RST)")
    XCTAssertNil(kill.items[0].change)
    let mixed = ActionPlan(kind: .setKeepalive, connections: [r[0], r[1]]) { c in
      KeepaliveChange(idleSeconds: c.record.cookie == 10 ? 300 : 180, intervalSeconds: 30, probes: 5, userTimeoutMs: 60_000)
    }
    XCTAssertEqual(
      mixed.summary,
      "set keepalive 300/30/5 user-timeout 60000ms x1, 180/30/5 user-timeout 60000ms x1 on 2 sockets of php-fpm (pids 811, 812)")
  }

  func testChangeBoundsAndUndo() {
    XCTAssertNil(KeepaliveChange(idleSeconds: 1, intervalSeconds: 32767, probes: 127).invalidReason)
    XCTAssertEqual(KeepaliveChange(idleSeconds: 0, intervalSeconds: 1, probes: 1).invalidReason, "--idle must be 1-32767 seconds, got 0")
    XCTAssertEqual(KeepaliveChange(idleSeconds: 1, intervalSeconds: 1, probes: 128).invalidReason, "--count must be 1-127 probes, got 128")
    let before = SocketOptions(keepalive: false, idleSeconds: 7200, intervalSeconds: 75, probes: 9, userTimeoutMs: 0)
    let undo = KeepaliveChange(restoring: before)
    XCTAssertEqual(undo.shortText, "off 7200/75/9 user-timeout 0ms")
    XCTAssertEqual(undo.expected(after: before), before)
    let change = KeepaliveChange(idleSeconds: 60, intervalSeconds: 10, probes: 4)
    XCTAssertEqual(
      change.expected(after: before), SocketOptions(keepalive: true, idleSeconds: 60, intervalSeconds: 10, probes: 4, userTimeoutMs: 0))
    XCTAssertEqual(KeepaliveChange(FixAdvisor.recommended(for: .aws)).shortText, "300/30/5")
  }

  func testResultsAsLinesAndJSON() throws {
    let r = rows()
    let before = SocketOptions(keepalive: false, idleSeconds: 7200, intervalSeconds: 75, probes: 9, userTimeoutMs: 0)
    let after = SocketOptions(keepalive: true, idleSeconds: 60, intervalSeconds: 10, probes: 4, userTimeoutMs: 0)
    let change = KeepaliveChange(idleSeconds: 60, intervalSeconds: 10, probes: 4)
    let results = [
      ActionResult(item: ActionItem(connection: r[0], change: change), outcome: .keepaliveSet(before: before, after: after)),
      ActionResult(item: ActionItem(connection: r[1], change: change), outcome: .failed(reason: "process 812 gone", before: nil)),
    ]
    let local = Format.endpoint(r[0].record.local), remote = Format.endpoint(r[0].record.remote)
    XCTAssertEqual(
      ActionReport.line(results[0]),
      "\(local) -> \(remote) ESTABLISHED pid 811 (php-fpm) fd 3: keepalive off 7200/75/9 user-timeout 0ms -> on 60/10/4 user-timeout 0ms")
    XCTAssertTrue(ActionReport.line(results[1]).hasSuffix("fd 4: not changed: process 812 gone"))
    XCTAssertEqual(
      ActionReport.syslogMessage(kind: .setKeepalive, uid: 0, user: "root", results[0]),
      "set-keepalive by uid 0 (root): " + ActionReport.line(results[0]))
    XCTAssertTrue(ActionReport.counts(results) == (1, 1))
    let json = ActionReport.json(kind: .setKeepalive, dryRun: false, results: results)
    let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    XCTAssertEqual(object["action"] as? String, "set-keepalive")
    XCTAssertEqual(object["succeeded"] as? Int, 1)
    XCTAssertEqual(object["failed"] as? Int, 1)
    let list = try XCTUnwrap(object["results"] as? [[String: Any]])
    XCTAssertEqual(list.map { $0["status"] as? String }, ["changed", "failed"])
    XCTAssertEqual((list[0]["after"] as? [String: Any])?["idleSeconds"] as? Int, 60)
    XCTAssertEqual((list[0]["before"] as? [String: Any])?["enabled"] as? Bool, false)
    XCTAssertEqual(list[1]["error"] as? String, "process 812 gone")
    XCTAssertEqual(list[0]["cookie"] as? String, "10")
  }
}
