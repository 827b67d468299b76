import XCTest

@testable import KatopModel

/// Connection keeps its risks as "evaluated for profile P" and KeepaliveState stores narrow
/// fields (docs/performance.md): both must behave exactly like the plain stored values.
final class CompactConnectionTests: XCTestCase {
  /// Every rule branch of the pinned risk-text cases: the risks read back from an analysed
  /// Connection are those RiskRules.evaluate returns for the same inputs, with the same worst
  /// severity, and the Connection equals one that stores them.
  func testEvaluatedRisksEqualStoredOnes() {
    let system = SystemInfo()
    let cases = RiskTextTests.cases()
    XCTAssertGreaterThan(cases.count, 10)
    var risky = 0
    for (name, c) in cases {
      XCTAssertTrue(c.riskBasis.evaluated, name)
      let eager = RiskRules.evaluate(c, profile: c.riskProfile, system: system)
      XCTAssertEqual(c.risks, eager, name)
      XCTAssertEqual(c.worstSeverity, eager.map(\.severity).max(), name)
      XCTAssertEqual(c.hasRisks, !eager.isEmpty, name)
      var stored = c
      stored.risks = c.risks
      XCTAssertFalse(stored.riskBasis.evaluated, name)
      XCTAssertEqual(stored, c, name)
      XCTAssertEqual(stored.hashValue, c.hashValue, name)
      XCTAssertEqual(stored.worstSeverity, c.worstSeverity, name)
      if !eager.isEmpty { risky += 1 }
    }
    XCTAssertGreaterThan(risky, 10)
  }

  /// A profile the compact form cannot name is evaluated at once and stored.
  func testUnnamedProfileStoresItsRisks() {
    let odd = MiddleboxProfile(name: "corp-fw", idleTimeoutSeconds: 90, summary: "test")
    let c = Fixture.connection(Fixture.record(idleMs: 100_000), profile: odd)
    XCTAssertFalse(c.riskBasis.evaluated)
    XCTAssertEqual(c.risks.map(\.id), [RiskRules.noKeepalive])
    XCTAssertEqual(c.worstSeverity, .critical)
  }

  /// A profile change re-evaluates without storing texts.
  func testReevaluateChangesTheVerdict() {
    let c = Fixture.connection(Fixture.record(idleMs: 250_000))
    XCTAssertEqual(c.worstSeverity, .warning)  // aws 350 s: 250 s idle is past half
    let gcp = Analyzer.reevaluate([c], profile: MiddleboxProfile.named("gcp-nat") ?? .aws)[0]
    XCTAssertTrue(gcp.riskBasis.evaluated)
    XCTAssertEqual(gcp.risks, [])
    XCTAssertNil(gcp.worstSeverity)
    let azure = Analyzer.reevaluate([c], profile: MiddleboxProfile.named("azure") ?? .aws)[0]
    XCTAssertEqual(azure.worstSeverity, .critical)
    XCTAssertTrue(azure.risks[0].message.contains("azure 240s"), azure.risks[0].message)
  }

  func testKeepaliveStateRoundTrips() {
    var ka = KeepaliveState(
      enabled: nil, idleSeconds: 6_000_000_000, intervalSeconds: 75, probes: 9, userTimeoutMs: nil, source: .timer,
      probesOut: 3, detectInMs: -5, nextProbeInMs: nil)
    XCTAssertNil(ka.enabled)
    XCTAssertEqual(ka.idleSeconds, 6_000_000_000)
    XCTAssertEqual([ka.intervalSeconds, ka.probes, ka.probesOut], [75, 9, 3])
    XCTAssertNil(ka.userTimeoutMs)
    XCTAssertEqual(ka.detectInMs, -5)
    XCTAssertNil(ka.nextProbeInMs)
    XCTAssertEqual(ka.source, .timer)
    ka.enabled = false
    ka.userTimeoutMs = 0
    ka.nextProbeInMs = Int64.max
    ka.detectInMs = nil
    XCTAssertEqual(ka.enabled, false)
    XCTAssertEqual(ka.userTimeoutMs, 0)
    XCTAssertEqual(ka.nextProbeInMs, Int64.max)
    XCTAssertNil(ka.detectInMs)
    ka.enabled = true
    XCTAssertEqual(ka.enabled, true)
    var other = ka
    XCTAssertEqual(other, ka)
    other.userTimeoutMs = nil
    XCTAssertNotEqual(other, ka)
    // Probe counts and TCP_USER_TIMEOUT are C ints in the kernel: wider values are clamped.
    other.probes = Int.max
    XCTAssertEqual(other.probes, Int(Int32.max))
  }

  func testSocketOptionsRoundTrip() {
    var o = SocketOptions(keepalive: true, idleSeconds: 6_000_000_000, intervalSeconds: 75, probes: 9, userTimeoutMs: 30_000)
    XCTAssertEqual([o.idleSeconds, o.intervalSeconds, o.probes, o.userTimeoutMs], [6_000_000_000, 75, 9, 30_000])
    XCTAssertTrue(o.keepalive)
    let before = o
    o.keepalive = false
    o.probes = 3
    XCTAssertNotEqual(o, before)
    XCTAssertEqual([o.probes, before.probes], [3, 9])
    o.userTimeoutMs = Int.min
    XCTAssertEqual(o.userTimeoutMs, Int(Int32.min))
  }

  /// The sizes the 100k-row tables are made of (docs/performance.md).
  func testStridesOfPerSocketValues() {
    func line<T>(_ t: T.Type) -> String { "\(T.self) \(MemoryLayout<T>.size)/\(MemoryLayout<T>.stride)" }
    print(
      "layout: " + [
        line(Connection.self), line(SocketRecord.self), line(TCPInfo.self), line(KeepaliveState.self),
        line(Owner?.self), line(Risk.self), line(SocketOptions.self), line(StoredConnection.self),
        line(FlowActivity.Entry.self),
      ].joined(separator: ", "))
    // +8 bytes since tcp_info's segs_in / segs_out are kept (flow activity, issue 10).
    XCTAssertLessThanOrEqual(MemoryLayout<Connection>.stride, 264)
    XCTAssertLessThanOrEqual(MemoryLayout<SocketRecord>.stride, 160)
    XCTAssertLessThanOrEqual(MemoryLayout<KeepaliveState>.stride, 48)
    XCTAssertLessThanOrEqual(MemoryLayout<SocketOptions>.stride, 24)
    XCTAssertLessThanOrEqual(MemoryLayout<FlowActivity.Entry>.stride, 32)
    // What was watched of the flow: 32 bytes; its counters are the record's.
    XCTAssertLessThanOrEqual(MemoryLayout<StoredConnection>.stride, 344)
  }
}
