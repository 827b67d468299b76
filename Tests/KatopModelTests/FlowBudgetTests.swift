// Path rules, the timer wheel's lateness, cloud detection and the flow verdict, on values whose
// answers follow from the kernel's and the definitions.
import XCTest

@testable import KatopModel

final class FlowBudgetTests: XCTestCase {
  func rule(_ text: String) throws -> PathRule { try PathRule.parse(text).get() }

  func testCIDRParsingAndContainment() throws {
    let net = try XCTUnwrap(CIDR("198.51.100.0/24"))
    XCTAssertTrue(net.contains(.v4(198, 51, 100, 7)))
    XCTAssertFalse(net.contains(.v4(198, 51, 101, 7)))
    // IPv4-mapped IPv6 remotes match IPv4 rules.
    XCTAssertTrue(net.contains(try XCTUnwrap(IPAddressText.parse("::ffff:198.51.100.9")).unmappedForTest))
    let v6 = try XCTUnwrap(CIDR("2001:db8::/32"))
    XCTAssertTrue(v6.contains(try XCTUnwrap(IPAddressText.parse("2001:db8:1::5"))))
    XCTAssertFalse(v6.contains(try XCTUnwrap(IPAddressText.parse("2001:db9::5"))))
    XCTAssertFalse(v6.contains(.v4(198, 51, 100, 7)))
    XCTAssertEqual(CIDR("192.0.2.1")?.prefixLength, 32)
    for bad in ["198.51.100.0/33", "1.2.3/8", "256.1.1.1/8", "2001:db8::/129", "2001:db8:::1/64", "x/8", ""] {
      XCTAssertNil(CIDR(bad), bad)
    }
  }

  func testLongestPrefixWinsAndErrorsSayWhatIsWrong() throws {
    let rules = PathRules([try rule("198.51.100.0/24=azure"), try rule("198.51.100.128/25=20"), try rule("0.0.0.0/0=cgnat")])
    XCTAssertEqual(rules.match(.v4(198, 51, 100, 200))?.profile.idleTimeoutSeconds, 20)
    XCTAssertEqual(rules.match(.v4(198, 51, 100, 1))?.profile.name, "azure")
    XCTAssertEqual(rules.match(.v4(192, 0, 2, 1))?.profile.name, "cgnat")
    XCTAssertNil(rules.match(try XCTUnwrap(IPAddressText.parse("2001:db8::1"))))
    XCTAssertThrowsError(try rule("198.51.100.0/24")) { XCTAssertTrue("\($0)".contains("CIDR=PROFILE")) }
    XCTAssertThrowsError(try rule("198.51.100.0/24=nope")) { XCTAssertTrue("\($0)".contains("unknown profile 'nope'")) }
    XCTAssertThrowsError(try rule("198.51.100.0/24=0")) { XCTAssertTrue("\($0)".contains("between 1 and")) }
  }

  func testTimerWheelLatenessPerLevel() {
    // HZ=250: 16-129 s sits on level 3 (512-jiffy buckets = 2.048 s), the "~2 s late".
    XCTAssertEqual(TimerWheel.worstLatenessMs(delayMs: 19_000, hz: 250), 2048)
    XCTAssertEqual(TimerWheel.worstLatenessMs(delayMs: 10_000, hz: 250), 256)  // 2500 jiffies: level 2
    XCTAssertEqual(TimerWheel.worstLatenessMs(delayMs: 100, hz: 250), 4)  // 25 jiffies: level 0
    XCTAssertEqual(TimerWheel.worstLatenessMs(delayMs: 340_000, hz: 250), 16_384)  // level 4: 4096 jiffies
    // Unknown HZ: 8/63 of the delay, the worst any level gives.
    XCTAssertEqual(TimerWheel.worstLatenessMs(delayMs: 63_000, hz: nil), 8000)
    for hz in [100, 250, 300, 1000] {
      for delay in stride(from: Int64(1000), to: 800_000, by: 7919) {
        XCTAssertLessThanOrEqual(
          Double(TimerWheel.worstLatenessMs(delayMs: delay, hz: hz)), Double(delay) * TimerWheel.worstFraction + 1000.0 / Double(hz) + 1,
          "hz \(hz) delay \(delay)")
      }
    }
  }

  func testCloudDetectionFromDMI() {
    XCTAssertEqual(CloudDetect.detect(DMIStrings(sysVendor: "Amazon EC2", productName: "m6i.large")).detected, "aws")
    XCTAssertEqual(CloudDetect.detect(DMIStrings(sysVendor: "Xen", biosVersion: "4.11.amazon")).detected, "aws")
    XCTAssertEqual(
      CloudDetect.detect(DMIStrings(sysVendor: "Microsoft Corporation", productName: "Virtual Machine", chassisAssetTag: CloudDetect.azureAssetTag)).profile.name,
      "azure")
    // Hyper-V on premises: same vendor, no Azure asset tag.
    XCTAssertNil(CloudDetect.detect(DMIStrings(sysVendor: "Microsoft Corporation", productName: "Virtual Machine")).detected)
    XCTAssertEqual(CloudDetect.detect(DMIStrings(sysVendor: "Google", productName: "Google Compute Engine")).profile.idleTimeoutSeconds, 600)
    let none = CloudDetect.detect(DMIStrings(sysVendor: "QEMU", productName: "Standard PC"))
    XCTAssertNil(none.detected)
    XCTAssertEqual(none.detectedFrom, "no cloud detected")
    XCTAssertEqual(none.profile, .aws)
  }

  func connection(remote: IPAddress, lastMs: UInt32, keepalive: (Int, Int)? = nil) -> Connection {
    var r = SocketRecord(
      family: 2, state: .established, local: Endpoint(address: .v4(192, 0, 2, 2), port: 40000),
      remote: Endpoint(address: remote, port: 3306), cookie: 7)
    var info = TCPInfo()
    info.lastDataSentMs = lastMs + 500
    info.lastDataRecvMs = lastMs
    info.lastAckRecvMs = lastMs + 100
    info.rttUs = 1500
    r.info = info
    let ka = KeepaliveState(
      enabled: keepalive != nil, idleSeconds: keepalive?.0 ?? 7200, intervalSeconds: keepalive?.1 ?? 75, probes: 3,
      userTimeoutMs: 0, source: .socket)
    return Connection(record: r, owner: nil, keepalive: ka, idleMs: UInt64(lastMs), risks: [])
  }

  func testVerdictCutInKeptAndLocal() throws {
    let context = FlowContext(
      rules: PathRules([try rule("198.51.100.0/24=20")]), profile: .aws, localAddresses: [.v4(192, 0, 2, 2)], hz: 250)
    let cut = FlowBudget.verdict(connection(remote: .v4(198, 51, 100, 2), lastMs: 7000), context: context)
    XCTAssertEqual(cut.budget, .path)
    XCTAssertEqual(cut.idleMs, 7000)
    XCTAssertEqual(cut.cutInMs, 13_000)
    let past = FlowBudget.verdict(connection(remote: .v4(198, 51, 100, 2), lastMs: 25_000), context: context)
    XCTAssertEqual(past.cutInMs, 0)
    // 10 s + 256 ms wheel + 2 ms RTT < 20 s: kept; 19 s + 2.048 s > 20 s: not kept (the 19/5/3).
    let kept = FlowBudget.verdict(connection(remote: .v4(198, 51, 100, 2), lastMs: 7000, keepalive: (10, 5)), context: context)
    XCTAssertEqual(kept.keptAliveBy, .keepalive)
    XCTAssertNil(kept.cutInMs)
    XCTAssertEqual(kept.keepaliveArrivesMs, 10_000 + 256 + 2)
    let late = FlowBudget.verdict(connection(remote: .v4(198, 51, 100, 2), lastMs: 7000, keepalive: (19, 5)), context: context)
    XCTAssertNil(late.keptAliveBy)
    XCTAssertEqual(late.cutInMs, 13_000)
    for local in [IPAddress.v4(127, 0, 0, 1), .v4(192, 0, 2, 2), .v6(hi: 0, lo: 1)] {
      let v = FlowBudget.verdict(connection(remote: local, lastMs: 900_000), context: context)
      XCTAssertEqual(v.budget, BudgetSource.none)
      XCTAssertNil(v.cutInMs)
    }
    let other = FlowBudget.verdict(connection(remote: .v4(203, 0, 113, 9), lastMs: 100_000), context: context)
    XCTAssertEqual(other.budget, .profile)
    XCTAssertEqual(other.cutInMs, 250_000)
    // An L7 profile: keepalive does not refresh it.
    let alb = FlowContext(profile: try XCTUnwrap(MiddleboxProfile.named("aws-alb")))
    let l7 = FlowBudget.verdict(connection(remote: .v4(203, 0, 113, 9), lastMs: 10_000, keepalive: (30, 5)), context: alb)
    XCTAssertNil(l7.keptAliveBy)
    XCTAssertEqual(l7.cutInMs, 50_000)
  }

  func testWatchedPeerSegmentsKeepAFlow() throws {
    var a = connection(remote: .v4(198, 51, 100, 2), lastMs: 8000).record
    a.info?.segsIn = 10
    a.info?.segsOut = 10
    var activity = FlowActivity()
    activity.observe([a], nowMs: 1000)
    // 6 s later: last_* aged by 6 s, but a peer probe came in and we ACKed it.
    a.info?.lastDataRecvMs = 14_000
    a.info?.lastAckRecvMs = 14_100
    a.info?.lastDataSentMs = 14_500
    a.info?.segsIn = 11
    a.info?.segsOut = 11
    activity.observe([a], nowMs: 7000)
    XCTAssertEqual(activity.watchedIdleMs(cookie: 7), 0)
    let template = connection(remote: .v4(198, 51, 100, 2), lastMs: 14_000)
    let c = Connection(record: a, owner: template.owner, keepalive: template.keepalive, idleMs: template.idleMs, risks: template.risks)
    let context = FlowContext(rules: PathRules([try rule("198.51.100.0/24=20")]), profile: .aws, activity: activity)
    let v = FlowBudget.verdict(c, context: context)
    XCTAssertEqual(v.keptAliveBy, .peer)
    XCTAssertEqual(v.idleMs, 0)
    // Without the change the flow is judged on last_* alone.
    var still = FlowActivity()
    still.observe([a], nowMs: 1000)
    still.observe([a], nowMs: 7000)
    let judged = FlowBudget.verdict(c, context: FlowContext(rules: context.rules, profile: .aws, activity: still))
    XCTAssertEqual(judged.cutInMs, 6000)
  }

  func testSideFromTheListenersAndAdviceForThatEnd() {
    let listener = SocketRecord(family: 2, state: .listen, local: Endpoint(address: .v4(0, 0, 0, 0), port: 3306), remote: Endpoint(address: .v4(0, 0, 0, 0), port: 0), cookie: 1)
    let accepted = SocketRecord(family: 2, state: .established, local: Endpoint(address: .v4(192, 0, 2, 2), port: 3306), remote: Endpoint(address: .v4(198, 51, 100, 7), port: 51000), cookie: 2)
    let connecting = SocketRecord(family: 2, state: .established, local: Endpoint(address: .v4(192, 0, 2, 2), port: 51001), remote: Endpoint(address: .v4(198, 51, 100, 7), port: 3306), cookie: 3)
    var context = FlowContext(profile: .aws)
    XCTAssertNil(context.side(of: accepted), "no listeners known")
    context.listeningPorts = FlowContext.listeningPorts([listener, accepted, connecting], listenersCollected: true)
    XCTAssertEqual(context.listeningPorts, [3306])
    XCTAssertNil(context.side(of: listener))
    XCTAssertEqual(context.side(of: accepted), .server)
    XCTAssertEqual(context.side(of: connecting), .client)
    XCTAssertNil(FlowContext.listeningPorts([accepted], listenersCollected: false))
    let r = FixAdvisor.recommended(for: .aws)
    let server = FixAdvisor.advice(side: .server, command: "mariadbd", remote: accepted.remote, localPort: 3306, r)
    XCTAssertTrue(server.hasPrefix("this end accepted the connection on listening port 3306: set keepalive in the server, MariaDB: tcp_keepalive_time=300"), server)
    let client = FixAdvisor.advice(side: .client, command: "python3", remote: connecting.remote, localPort: 51001, r)
    XCTAssertTrue(client.hasPrefix("this end connected to 198.51.100.7:3306: set keepalive in the client, Python: sock.setsockopt"), client)
    let mariadbClient = FixAdvisor.advice(side: .client, command: "mariadb", remote: connecting.remote, localPort: 51001, r)
    XCTAssertFalse(mariadbClient.contains("[mysqld]"), "a mariadb client gets the client library's advice, not the server's: \(mariadbClient)")
    // A proxy gets the setting of the side this socket is.
    let front = FixAdvisor.advice(side: .server, command: "haproxy", remote: accepted.remote, localPort: 3306, r)
    let back = FixAdvisor.advice(side: .client, command: "haproxy", remote: connecting.remote, localPort: 51001, r)
    XCTAssertTrue(front.contains("clitcpka-idle 300s") && !front.contains("srvtcpka"), front)
    XCTAssertTrue(back.contains("srvtcpka-idle 300s") && !back.contains("clitcpka"), back)
    XCTAssertTrue(FixAdvisor.advice(side: .client, command: "nginx", remote: connecting.remote, localPort: 51001, r).contains("proxy_socket_keepalive on"))
  }

  /// The TUI's store keeps what was watched in each row (no activity table): a peer's probe seen
  /// between two merges keeps that row's flow, while its idle twin, merged alike, is cut.
  func testTheStoreJudgesEachRowByWhatItsRowWatched() throws {
    func record(cookie: UInt64, inode: UInt32, segs: UInt32, idleMs: UInt32) -> SocketRecord {
      var r = connection(remote: .v4(198, 51, 100, 2), lastMs: idleMs).record
      r.cookie = cookie
      r.inode = inode
      r.info?.segsIn = segs
      r.info?.segsOut = segs
      return r
    }
    var store = ConnectionStore(profile: .aws)
    store.flow = FlowContext(rules: PathRules([try rule("198.51.100.0/24=20")]), profile: .aws)
    store.merge(
      Snapshot(system: SystemInfo(), sockets: [record(cookie: 1, inode: 11, segs: 10, idleMs: 8000), record(cookie: 2, inode: 12, segs: 10, idleMs: 8000)]),
      coverage: .complete, nowMs: 1000)
    // 6 s later: both aged by 6 s on last_*; only cookie 1's counters moved (a probe in, our ACK out).
    store.merge(
      Snapshot(system: SystemInfo(), sockets: [record(cookie: 1, inode: 11, segs: 11, idleMs: 14_000), record(cookie: 2, inode: 12, segs: 10, idleMs: 14_000)]),
      coverage: .complete, nowMs: 7000)
    let probed = store.rows[try XCTUnwrap(store.slot(of: 1))], idle = store.rows[try XCTUnwrap(store.slot(of: 2))]
    let flow = try XCTUnwrap(store.flow)
    XCTAssertEqual(FlowBudget.verdict(probed.connection, context: flow, watched: probed.watched).keptAliveBy, .peer)
    XCTAssertEqual(FlowBudget.verdict(idle.connection, context: flow, watched: idle.watched).cutInMs, 6000)
    // The merge judged the risks the same way: the idle twin is at risk on its 20 s budget, the probed one is not.
    XCTAssertFalse(probed.connection.risks.contains { $0.id == .noKeepalive })
    XCTAssertTrue(idle.connection.risks.contains { $0.id == .noKeepalive })
  }
}

extension IPAddress {
  var unmappedForTest: IPAddress { IPAddressText.unmapped(self) }
}
