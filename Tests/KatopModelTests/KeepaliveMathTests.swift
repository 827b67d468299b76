import KatopModel
import XCTest

final class KeepaliveMathTests: XCTestCase {
  func testIdleIsTheSmallerOfLastDataAndLastAck() {
    var info = TCPInfo()
    info.lastDataRecvMs = 9000
    info.lastAckRecvMs = 4000
    XCTAssertEqual(KeepaliveMath.idleMs(Fixture.record(info: info)), 4000)
    info.lastAckRecvMs = nil
    XCTAssertEqual(KeepaliveMath.idleMs(Fixture.record(info: info)), 9000)
    XCTAssertNil(KeepaliveMath.idleMs(Fixture.record(idleMs: nil)))
    XCTAssertNil(KeepaliveMath.idleMs(Fixture.record(state: .listen, idleMs: 5)))
    XCTAssertNil(KeepaliveMath.idleMs(Fixture.record(state: .synSent, idleMs: 5)))
  }

  func testEnabledInferredFromTimer() {
    let cases: [(TCPState, TimerKind, UInt32, Bool?, SettingsSource, UInt)] = [
      (.established, .keepalive, 1000, true, .system, #line),
      // Keepalive known off from the timers where it applies: source "timer" (not read, not assumed).
      (.established, .off, 1000, false, .timer, #line),
      (.established, .retransmit, 1000, nil, .system, #line),
      (.established, .persist, 1000, nil, .system, #line),
      (.established, .delack, 1000, nil, .system, #line),
      (.closeWait, .off, 1000, false, .timer, #line),
      (.closeWait, .keepalive, 1000, true, .system, #line),
      (.finWait2, .keepalive, 0, nil, .system, #line),  // orphaned: FIN_WAIT2 timer, not keepalive
      (.finWait2, .keepalive, 1000, true, .system, #line),
      (.listen, .off, 1000, false, .system, #line),
      (.timeWait, .timewait, 0, false, .system, #line),
      (.synSent, .retransmit, 1000, false, .system, #line),
      (.synRecv, .retransmit, 0, false, .system, #line),
      (.newSynRecv, .retransmit, 0, false, .system, #line),
      (.close, .off, 1000, false, .system, #line),
    ]
    for (state, timer, inode, expected, source, line) in cases {
      let r = Fixture.record(state: state, timer: timer, inode: inode)
      let ka = KeepaliveMath.state(for: r, options: nil, system: SystemInfo())
      XCTAssertEqual(ka.enabled, expected, "\(state) \(timer)", line: line)
      XCTAssertEqual(ka.source, source, "\(state) \(timer)", line: line)
      XCTAssertEqual(ka.idleSeconds, 7200, line: line)
      XCTAssertNil(ka.userTimeoutMs, line: line)
    }
  }

  func testSocketOptionsOverrideInference() {
    let r = Fixture.record(timer: .retransmit, expiresMs: 200)
    let ka = KeepaliveMath.state(for: r, options: Fixture.options(true, 45, 7, 3, userTimeoutMs: 5000), system: SystemInfo())
    XCTAssertEqual(ka.enabled, true)
    XCTAssertEqual(ka.source, .socket)
    XCTAssertEqual(ka.idleSeconds, 45)
    XCTAssertEqual(ka.intervalSeconds, 7)
    XCTAssertEqual(ka.probes, 3)
    XCTAssertEqual(ka.userTimeoutMs, 5000)
    let off = KeepaliveMath.state(for: Fixture.record(timer: .keepalive), options: Fixture.options(false, 7200, 75, 9), system: SystemInfo())
    XCTAssertEqual(off.enabled, false)
  }

  func testDetectWithLinuxDefaultsIs7875Seconds() {
    // Options read from the socket, idle 0: first probe after 7200 s, then 9 x 75 s.
    let fromOptions = KeepaliveMath.state(
      for: Fixture.record(idleMs: 0), options: Fixture.options(true, 7200, 75, 9), system: SystemInfo())
    XCTAssertEqual(fromOptions.detectInMs, 7_875_000)
    XCTAssertEqual(fromOptions.nextProbeInMs, 7_200_000)
    // Inferred from an armed keepalive timer.
    let inferred = KeepaliveMath.state(
      for: Fixture.record(timer: .keepalive, expiresMs: 7_200_000, idleMs: 0), options: nil, system: SystemInfo())
    XCTAssertEqual(inferred.detectInMs, 7_875_000)
    XCTAssertEqual(inferred.nextProbeInMs, 7_200_000)
  }

  func testDetectFor45_7_3AfterThreeSecondsIdle() {
    let opts = Fixture.options(true, 45, 7, 3)
    let timerOff = KeepaliveMath.state(for: Fixture.record(idleMs: 3000), options: opts, system: SystemInfo())
    XCTAssertEqual(timerOff.detectInMs, 42_000 + 21_000)
    XCTAssertEqual(timerOff.nextProbeInMs, 42_000)
    let armed = KeepaliveMath.state(
      for: Fixture.record(timer: .keepalive, expiresMs: 42_000, idleMs: 3000), options: opts, system: SystemInfo())
    XCTAssertEqual(armed.detectInMs, 63_000)
    XCTAssertEqual(armed.nextProbeInMs, 42_000)
  }

  func testTimerArmedEarlierThanKeepidleRearms() {
    // Timer fires in 10 s with idle 3 s: elapsed 13 s < 45 s, so it re-arms; the probe leaves at
    // keepidle - idle = 42 s.
    let ka = KeepaliveMath.state(
      for: Fixture.record(timer: .keepalive, expiresMs: 10_000, idleMs: 3000), options: Fixture.options(true, 45, 7, 3),
      system: SystemInfo())
    XCTAssertEqual(ka.nextProbeInMs, 42_000)
    XCTAssertEqual(ka.detectInMs, 63_000)
  }

  func testProbesOutShortenDetection() {
    let opts = Fixture.options(true, 45, 7, 3)
    // Two probes out, next run in 5 s: one more probe, then abort one interval later.
    let two = KeepaliveMath.state(
      for: Fixture.record(timer: .keepalive, expiresMs: 5000, count: 2, idleMs: 54_000), options: opts,
      system: SystemInfo())
    XCTAssertEqual(two.probesOut, 2)
    XCTAssertEqual(two.nextProbeInMs, 5000)
    XCTAssertEqual(two.detectInMs, 12_000)
    // All probes out: the next run aborts; no further probe.
    let all = KeepaliveMath.state(
      for: Fixture.record(timer: .keepalive, expiresMs: 4000, count: 3, idleMs: 66_000), options: opts,
      system: SystemInfo())
    XCTAssertEqual(all.detectInMs, 4000)
    XCTAssertNil(all.nextProbeInMs)
  }

  func testUserTimeoutReplacesProbeCount() {
    func detect(_ ut: Int) -> Int64? {
      KeepaliveMath.state(
        for: Fixture.record(idleMs: 3000), options: Fixture.options(true, 45, 7, 3, userTimeoutMs: ut),
        system: SystemInfo()
      ).detectInMs
    }
    XCTAssertEqual(detect(50_000), 49_000)  // probe at 45 s idle, abort at 52 s idle
    XCTAssertEqual(detect(30_000), 49_000)  // shorter than keepidle: still needs one probe out
    XCTAssertEqual(detect(120_000), 119_000)  // longer than 3 probes: the user timeout decides
  }

  func testKeepaliveOffNeverDetects() {
    let ka = KeepaliveMath.state(for: Fixture.record(idleMs: 500_000), options: nil, system: SystemInfo())
    XCTAssertEqual(ka.enabled, false)
    XCTAssertNil(ka.detectInMs)
    XCTAssertNil(ka.nextProbeInMs)
    let listen = KeepaliveMath.state(
      for: Fixture.record(state: .listen), options: Fixture.options(true, 45, 7, 3), system: SystemInfo())
    XCTAssertNil(listen.detectInMs)
  }

  func testModelTimeoutMatchesKernel() {
    XCTAssertEqual(KeepaliveMath.modelTimeoutMs(retries: 15), 924_600)
    XCTAssertEqual(KeepaliveMath.modelTimeoutMs(retries: 0), 200)
    XCTAssertEqual(KeepaliveMath.modelTimeoutMs(retries: 3), 3000)
    XCTAssertEqual(KeepaliveMath.modelTimeoutMs(retries: 9), 204_600)
    XCTAssertEqual(KeepaliveMath.modelTimeoutMs(retries: 10), 324_600)
  }

  func testRetransmissionDetect() {
    let fresh = KeepaliveMath.state(
      for: Fixture.record(timer: .retransmit, expiresMs: 200, info: Fixture.info(idleMs: 0, rtoUs: 200_000)),
      options: nil, system: SystemInfo())
    XCTAssertNil(fresh.enabled)
    XCTAssertEqual(fresh.detectInMs, 924_600)
    XCTAssertNil(fresh.nextProbeInMs)
    // Three backoffs done (200 + 400 + 800 ms spent), timer just re-armed for 1.6 s.
    let midway = KeepaliveMath.state(
      for: Fixture.record(
        timer: .retransmit, expiresMs: 1600, count: 3, info: Fixture.info(idleMs: 0, rtoUs: 1_600_000, backoff: 3)),
      options: nil, system: SystemInfo())
    XCTAssertEqual(midway.detectInMs, 924_600 - 1400)
    // tcp_retries2 = 3 -> 3 s budget.
    var system = SystemInfo()
    system.tcpRetries2 = 3
    let short = KeepaliveMath.state(
      for: Fixture.record(timer: .retransmit, expiresMs: 200, info: Fixture.info(idleMs: 0, rtoUs: 200_000)),
      options: nil, system: system)
    XCTAssertEqual(short.detectInMs, 3000)
    // TCP_USER_TIMEOUT 10 s with 1.1 s spent.
    let bounded = KeepaliveMath.state(
      for: Fixture.record(
        timer: .retransmit, expiresMs: 300, count: 2, info: Fixture.info(idleMs: 0, rtoUs: 800_000, backoff: 2)),
      options: Fixture.options(false, 7200, 75, 9, userTimeoutMs: 10_000), system: SystemInfo())
    XCTAssertEqual(bounded.detectInMs, 8900)
  }

  func testOverdueTimerIsClamped() {
    let ka = KeepaliveMath.state(
      for: Fixture.record(timer: .keepalive, expiresMs: 0xFFFF_FF00, idleMs: 7_200_000), options: nil,
      system: SystemInfo())
    XCTAssertEqual(ka.nextProbeInMs, 0)
    XCTAssertEqual(ka.detectInMs, 9 * 75_000)
  }

  func testPersistDetectIsFinite() {
    var system = SystemInfo()
    system.tcpRetries2 = 2
    let ka = KeepaliveMath.state(
      for: Fixture.record(timer: .persist, expiresMs: 400, count: 0, info: Fixture.info(idleMs: 0, rtoUs: 200_000)),
      options: nil, system: system)
    XCTAssertEqual(ka.detectInMs, 400 + 400 + 800)
  }
}
