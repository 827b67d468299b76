import KatopModel
import XCTest

final class RiskRulesTests: XCTestCase {
  func severity(_ id: RiskRule, _ c: Connection) -> Severity? { c.risks.first { $0.id == id }?.severity }

  func testNoKeepaliveThresholds() {
    // aws: 350 s; warning from 175 s (50%), critical from 350 s.
    let cases: [(UInt32?, TCPState, TimerKind, Severity?, UInt)] = [
      (0, .established, .off, nil, #line),
      (174_999, .established, .off, nil, #line),
      (175_000, .established, .off, .warning, #line),
      (349_999, .established, .off, .warning, #line),
      (350_000, .established, .off, .critical, #line),
      (3_600_000, .established, .off, .critical, #line),
      (3_600_000, .established, .keepalive, nil, #line),  // keepalive on
      (3_600_000, .established, .retransmit, nil, #line),  // keepalive unknown
      (3_600_000, .closeWait, .off, nil, #line),  // close-wait has its own rule
      (nil, .established, .off, nil, #line),  // idle unknown
    ]
    for (idle, state, timer, expected, line) in cases {
      let c = Fixture.connection(Fixture.record(state: state, timer: timer, idleMs: idle))
      XCTAssertEqual(severity(RiskRules.noKeepalive, c), expected, line: line)
    }
  }

  func testNoKeepaliveAcceptanceCase() {
    // --idle-timeout 2 after 3 s idle: both ends of a connection without keepalive.
    let client = Fixture.connection(Fixture.record(idleMs: 3000), profile: .custom(seconds: 2))
    let server = Fixture.connection(
      Fixture.record(idleMs: 3000, local: Fixture.remote, remote: Fixture.local), profile: .custom(seconds: 2))
    for c in [client, server] {
      let risk = c.risks.first { $0.id == RiskRules.noKeepalive }
      XCTAssertEqual(risk?.severity, .critical)
      XCTAssertEqual(risk?.message, "idle 3s > custom 2s idle timeout, no keepalive: the middlebox has likely dropped this flow")
      XCTAssertTrue(risk?.fix.contains("TCP_KEEPIDLE=1") ?? false, risk?.fix ?? "")
    }
  }

  func testKeepaliveTooSlow() {
    let system = SystemInfo()
    // Inferred from the timer, system default 7200 s >= 350 s.
    let inferred = Fixture.connection(Fixture.record(timer: .keepalive, expiresMs: 7_000_000, idleMs: 200_000))
    XCTAssertEqual(severity(RiskRules.keepaliveTooSlow, inferred), .warning)
    let risk = inferred.risks.first { $0.id == RiskRules.keepaliveTooSlow }
    XCTAssertTrue(risk?.message.contains("7200s") ?? false)
    XCTAssertTrue(risk?.message.contains("aws 350s") ?? false)
    XCTAssertTrue(risk?.fix.contains("net.ipv4.tcp_keepalive_time=300") ?? false, risk?.fix ?? "")
    // Already idle past the timeout: critical.
    let late = Fixture.connection(Fixture.record(timer: .keepalive, expiresMs: 7_000_000, idleMs: 400_000))
    XCTAssertEqual(severity(RiskRules.keepaliveTooSlow, late), .critical)
    // Boundaries on keepidle read from the socket.
    // keepidle + 8/63 timer-wheel lateness + RTT must stay below 350 s: 310 s arrives by 349.4 s, 311 s by 350.5 s.
    let cases: [(Int, Severity?, UInt)] = [(310, nil, #line), (311, .warning, #line), (350, .warning, #line), (7200, .warning, #line)]
    for (keepidle, expected, line) in cases {
      let c = Fixture.connection(
        Fixture.record(timer: .keepalive, expiresMs: 1000, idleMs: 0), options: Fixture.options(true, keepidle, 30, 5),
        system: system)
      XCTAssertEqual(severity(RiskRules.keepaliveTooSlow, c), expected, line: line)
    }
    // Acceptance: 45 s keepidle, --idle-timeout 2, idle 3 s.
    let client = Fixture.connection(
      Fixture.record(timer: .keepalive, expiresMs: 42_000, idleMs: 3000), options: Fixture.options(true, 45, 7, 3),
      profile: .custom(seconds: 2))
    XCTAssertEqual(severity(RiskRules.keepaliveTooSlow, client), .critical)
    XCTAssertNil(severity(RiskRules.noKeepalive, client))
    let clientFix = client.risks.first { $0.id == RiskRules.keepaliveTooSlow }?.fix ?? ""
    XCTAssertTrue(clientFix.contains("sets TCP_KEEPIDLE=45 itself"), clientFix)
    // Unprivileged view of the same socket: settings assumed from the sysctls.
    let unprivileged = Fixture.connection(
      Fixture.record(timer: .keepalive, expiresMs: 42_000, idleMs: 3000), profile: .custom(seconds: 2))
    XCTAssertEqual(severity(RiskRules.keepaliveTooSlow, unprivileged), .critical)
  }

  func testProbesUnanswered() {
    let cases: [(UInt8, Severity?, UInt)] = [(0, nil, #line), (1, .warning, #line), (7, .warning, #line), (8, .critical, #line)]
    for (count, expected, line) in cases {
      let c = Fixture.connection(Fixture.record(timer: .keepalive, expiresMs: 75_000, count: count, idleMs: 7_300_000))
      XCTAssertEqual(severity(RiskRules.probesUnanswered, c), expected, line: line)
    }
    let c = Fixture.connection(Fixture.record(timer: .keepalive, expiresMs: 75_000, count: 8, idleMs: 7_800_000))
    let message = c.risks.first { $0.id == RiskRules.probesUnanswered }?.message ?? ""
    XCTAssertTrue(message.hasPrefix("8 of 9 keepalive probes unanswered (every 75s)"), message)
  }

  func testRetransmitting() {
    let cases: [(TCPState, TimerKind, UInt8, UInt8, Severity?, UInt)] = [
      (.established, .retransmit, 1, 1, nil, #line),
      (.established, .retransmit, 2, 2, .warning, #line),
      (.established, .retransmit, 0, 2, .warning, #line),  // backoff alone
      (.established, .retransmit, 5, 5, .warning, #line),
      (.established, .retransmit, 6, 6, .critical, #line),
      (.synSent, .retransmit, 3, 3, .warning, #line),
      (.established, .persist, 0, 5, nil, #line),  // zero-window probing backs off too
      (.listen, .off, 0, 3, nil, #line),
    ]
    for (state, timer, count, backoff, expected, line) in cases {
      let c = Fixture.connection(
        Fixture.record(state: state, timer: timer, expiresMs: 800, count: count, info: Fixture.info(idleMs: 0, backoff: backoff)))
      XCTAssertEqual(severity(RiskRules.retransmitting, c), expected, line: line)
    }
  }

  func testZeroWindow() {
    var closedWindow = Fixture.info(idleMs: 0)
    closedWindow.sndWnd = 0
    let cases: [(TimerKind, UInt8, UInt32, TCPInfo?, Severity?, UInt)] = [
      (.persist, 0, 100, nil, .warning, #line),
      (.persist, 2, 100, nil, .warning, #line),
      (.persist, 3, 100, nil, .critical, #line),
      (.off, 0, 100, closedWindow, .warning, #line),
      (.off, 0, 0, closedWindow, nil, #line),
      (.off, 0, 100, nil, nil, #line),
    ]
    for (timer, count, sendQueue, info, expected, line) in cases {
      let c = Fixture.connection(Fixture.record(timer: timer, expiresMs: 400, count: count, sendQueue: sendQueue, info: info))
      XCTAssertEqual(severity(RiskRules.zeroWindow, c), expected, line: line)
    }
  }

  func testCloseWaitNamesOwner() {
    let owner = Owner(pid: 4242, command: "java", uid: 1000, fd: 17)
    let c = Fixture.connection(Fixture.record(state: .closeWait, idleMs: 65_000, recvQueue: 12), owner: owner)
    let risk = c.risks.first { $0.id == RiskRules.closeWait }
    XCTAssertEqual(risk?.severity, .warning)
    XCTAssertEqual(risk?.message, "peer closed the connection; java (pid 4242) has not closed its socket (idle 1m05s, recv-q 12 unread)")
    XCTAssertTrue(risk?.fix.hasPrefix("java (pid 4242) must close()") ?? false)
    XCTAssertNil(severity(RiskRules.closeWait, Fixture.connection(Fixture.record(idleMs: 0))))
  }

  func testIrrelevantStatesCarryNoRisk() {
    for state in [TCPState.listen, .timeWait, .newSynRecv] {
      let c = Fixture.connection(Fixture.record(state: state, idleMs: 9_000_000, inode: 0))
      XCTAssertEqual(c.risks, [], "\(state)")
    }
  }

  func testRisksSortedBySeverityAndRulesDocumented() {
    let c = Fixture.connection(
      Fixture.record(timer: .keepalive, expiresMs: 1000, count: 8, info: Fixture.info(idleMs: 7_800_000, retransmits: 3)))
    XCTAssertEqual(c.risks.map(\.id), [RiskRules.keepaliveTooSlow, RiskRules.probesUnanswered, RiskRules.retransmitting])
    XCTAssertEqual(c.risks.map(\.severity), [.critical, .critical, .warning])
    XCTAssertEqual(c.worstSeverity, .critical)
    let ids = RiskRules.all.map(\.id)
    XCTAssertEqual(Set(ids).count, ids.count)
    // Every id has its rule, and the stable text ids resolve to them.
    XCTAssertEqual(Set(ids), Set(RiskRule.allCases))
    for id in RiskRule.allCases {
      XCTAssertNotNil(RiskRules.info(id: id), id.rawValue)
      XCTAssertEqual(RiskRules.info(id: id.rawValue)?.id, id)
    }
    XCTAssertEqual(RiskRule.noKeepalive.rawValue, "no-keepalive")
    XCTAssertNil(RiskRules.info(id: "keepalive-unknown"))
  }

  func testRecommendationsFollowTheProfile() {
    func rec(_ p: MiddleboxProfile) -> [Int] {
      let r = FixAdvisor.recommended(for: p)
      return [r.idleSeconds, r.intervalSeconds, r.probes]
    }
    XCTAssertEqual(rec(.aws), [300, 30, 5])
    XCTAssertEqual(rec(MiddleboxProfile.named("azure") ?? .aws), [180, 30, 5])
    XCTAssertEqual(rec(MiddleboxProfile.named("cgnat") ?? .aws), [240, 30, 5])
    XCTAssertEqual(rec(MiddleboxProfile.named("gcp-nat") ?? .aws), [300, 30, 5])
    XCTAssertEqual(rec(.custom(seconds: 2)), [1, 1, 5])
    XCTAssertEqual(rec(.custom(seconds: 60)), [45, 10, 5])
    // Every recommendation sends its first probe and one retry before the timeout.
    for p in MiddleboxProfile.all {
      let r = FixAdvisor.recommended(for: p)
      XCTAssertLessThan(r.idleSeconds + r.intervalSeconds, p.idleTimeoutSeconds, p.name)
    }
  }

  func testOwnerAwareFixes() {
    func fix(_ command: String) -> String {
      let owner = Owner(pid: 1, command: command, uid: 0, fd: 3)
      let c = Fixture.connection(Fixture.record(idleMs: 400_000), owner: owner)
      return c.risks.first { $0.id == RiskRules.noKeepalive }?.fix ?? ""
    }
    let expectations: [(String, String, UInt)] = [
      ("ssh", "ServerAliveInterval 60", #line),
      ("sshd", "ClientAliveInterval 60", #line),
      ("postgres", "tcp_keepalives_idle = 300", #line),
      ("psql", "keepalives_idle=300", #line),
      ("pgbouncer", "tcp_keepidle = 300", #line),
      ("mariadbd", "tcp_keepalive_time=300", #line),
      ("mysqld", "wait_timeout", #line),
      ("redis-server", "tcp-keepalive 300", #line),
      ("node", "setKeepAlive(true, 300000)", #line),
      ("python3.11", "TCP_KEEPIDLE 300", #line),
      ("java", "ExtendedSocketOptions.TCP_KEEPIDLE, 300", #line),
      ("nginx", "so_keepalive=300s:30s:5", #line),
      ("haproxy", "clitcpka-idle 300s", #line),
      ("my-daemon", "my-daemon (pid 1)", #line),
    ]
    for (command, needle, line) in expectations {
      let text = fix(command)
      XCTAssertTrue(text.contains(needle), "\(command): \(text)", line: line)
    }
    XCTAssertTrue(fix("my-daemon").contains("TCP_KEEPIDLE=300, TCP_KEEPINTVL=30, TCP_KEEPCNT=5"))
  }
}
