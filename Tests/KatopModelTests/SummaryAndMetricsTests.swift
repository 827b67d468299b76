// Summary counts, bounded labels and the Prometheus text from known connections (the real
// parser and the binary are checked in KatopCLITests.MonitoringOutputTests).
import XCTest

@testable import KatopModel

final class SummaryAndMetricsTests: XCTestCase {
  func owner(_ command: String, inode: UInt32) -> Owner { Owner(pid: 1, command: command, uid: 0, fd: 3) }

  /// Twelve owners with 1..12 connections: top 3 kept, the other 9 owners' 45 connections (1+...+9) as `other`.
  func testTopBucketsSumTheRestAsOther() {
    var counts: [String: Int] = [:]
    for i in 1...12 { counts["cmd\(i)"] = i }
    let buckets = Summary.topBuckets(counts, top: 3)
    XCTAssertEqual(buckets.map(\.label), ["cmd12", "cmd11", "cmd10", "other"])
    XCTAssertEqual(buckets.map(\.count), [12, 11, 10, 45])
    XCTAssertEqual(Summary.topBuckets(counts, top: 0).map(\.label), ["other"])
    XCTAssertEqual(Summary.topBuckets(["a": 1, "b": 1], top: 5).map(\.label), ["a", "b"], "ties by name, no empty other")
  }

  /// An idle flow without keepalive 100 s into a 350 s timeout is cut in 250 s; one with keepalive
  /// every 60 s is not cut; one with keepalive slower than the timeout is.
  func testSoonestCutAndRiskCounts() {
    let plain = Fixture.connection(Fixture.record(idleMs: 100_000, inode: 1, cookie: 1), options: Fixture.options(false, 7200, 75, 9))
    let kept = Fixture.connection(Fixture.record(timer: .keepalive, idleMs: 100_000, inode: 2, cookie: 2), options: Fixture.options(true, 60, 10, 5))
    let slow = Fixture.connection(Fixture.record(timer: .keepalive, idleMs: 300_000, inode: 3, cookie: 3), options: Fixture.options(true, 7200, 75, 9))
    let s = Summary([plain, kept, slow], profile: .aws)
    XCTAssertEqual(s.soonestCutInMs, 50_000, "the slow one: 350 s - 300 s")
    XCTAssertEqual(Summary([plain, kept], profile: .aws).soonestCutInMs, 250_000)
    XCTAssertNil(Summary([kept], profile: .aws).soonestCutInMs)
    XCTAssertEqual(s.counts.keepaliveOn, 2)
    XCTAssertEqual(s.counts.keepaliveOff, 1)
    let fired = [plain, kept, slow].flatMap(\.risks).count
    XCTAssertEqual(s.byRule.values.reduce(0, +), fired)
    XCTAssertEqual(s.byState.first { $0.state == .established }?.count, 3)
  }

  /// Label values with quotes, backslashes and newlines are escaped; every family has HELP and
  /// TYPE; counters get `_total` in both formats' samples; OpenMetrics ends in `# EOF`.
  func testPrometheusTextEscapesAndNames() {
    let hostile = Fixture.connection(Fixture.record(idleMs: 1000), owner: owner("a\"b\\c\nd", inode: 1000))
    var system = SystemInfo()
    system.keepaliveProbesSent = 12
    system.abortOnTimeout = 3
    let text = PrometheusReport.render(summary: Summary([hostile], profile: .aws), system: system, profile: .aws, version: "t")
    XCTAssertTrue(text.contains(#"katop_connections_by_owner{command="a\"b\\c\nd"} 1"#), text)
    XCTAssertTrue(text.contains("# TYPE katop_tcpext_keepalive_probes_total counter\nkatop_tcpext_keepalive_probes_total 12\n"), text)
    XCTAssertTrue(text.contains("katop_soonest_cut_seconds 349\n"), text)
    let families = text.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }.count
    XCTAssertEqual(text.split(separator: "\n").filter { $0.hasPrefix("# HELP ") }.count, families)
    XCTAssertFalse(text.contains("# EOF"))
    let om = PrometheusReport.render(summary: Summary([], profile: .aws), system: system, profile: .aws, version: "t", format: .openmetrics)
    XCTAssertTrue(om.contains("# TYPE katop_tcpext_abort_on_timeout counter\nkatop_tcpext_abort_on_timeout_total 3\n"), om)
    XCTAssertTrue(om.contains("katop_soonest_cut_seconds +Inf\n"), om)
    XCTAssertTrue(om.hasSuffix("# EOF\n"))
  }

  /// A rule judged per flow (not in the table-wide list) is counted when it fires.
  func testFlowRulesAreInTheRiskFamily() {
    var c = Fixture.connection(Fixture.record(idleMs: 1000))
    c.risks = [Risk(id: .conntrackExpiresFirst, severity: .warning, message: "m", fix: "f")]
    let text = PrometheusReport.render(summary: Summary([c], profile: .aws), system: SystemInfo(), profile: .aws, version: "t")
    XCTAssertTrue(text.contains(#"katop_risks{rule="conntrack-expires-first",severity="warning"} 1"#), text)
    XCTAssertTrue(text.contains(#"katop_risks{rule="no-keepalive",severity="critical"} 0"#), text)
  }

  /// Nagios status from the worst severities present.
  func testCheckStatus() {
    let closeWait = Fixture.connection(Fixture.record(state: .closeWait, idleMs: 1000))
    let fresh = Fixture.connection(Fixture.record(idleMs: 1000))
    let critical = Fixture.connection(Fixture.record(idleMs: 400_000), options: Fixture.options(false, 7200, 75, 9))
    XCTAssertEqual(CheckReport.status(Summary([fresh], profile: .aws)), .ok)
    XCTAssertEqual(CheckReport.status(Summary([fresh, closeWait], profile: .aws)), .warning)
    let worst = Summary([fresh, closeWait, critical], profile: .aws)
    XCTAssertEqual(CheckReport.status(worst), .critical)
    let line = CheckReport.line(worst, profile: .aws)
    XCTAssertTrue(line.hasPrefix("KATOP CRITICAL - 1 critical (no-keepalive 1), 1 warning (close-wait 1) in 3 connections"), line)
    XCTAssertTrue(line.contains("| connections=3;;;0 "), line)
  }
}
