// KernelHZ: CONFIG_HZ from a kernel config, and HZ from the granularity of sock_diag's ms values.
import KatopModel
import XCTest

final class KernelHZTests: XCTestCase {
  func testConfigLine() {
    XCTAssertEqual(KernelHZ.fromConfig("# CONFIG_HZ_100 is not set\nCONFIG_HZ_250=y\nCONFIG_HZ=250\n"), KernelHZ(hz: 250, from: "config"))
    XCTAssertNil(KernelHZ.fromConfig("CONFIG_HZ_250=y\n"))
    XCTAssertNil(KernelHZ.fromConfig("CONFIG_HZ=fast\n"))
    XCTAssertNil(KernelHZ.fromConfig("CONFIG_HZ=0\n"))
  }

  /// jiffies_to_msecs of random jiffies at each HZ gives back that HZ; too few samples decide nothing.
  func testGranularityOfEachHZ() {
    var rng = SystemRandomNumberGenerator()
    func msecs(_ j: UInt32, hz: UInt32) -> UInt32 { (j * 1000 + hz - 1) / hz }  // jiffies_to_msecs rounds up
    for hz: UInt32 in [100, 250, 300, 1000] {
      let samples = (0..<40).map { _ in msecs(UInt32.random(in: 1...2_000_000, using: &rng), hz: hz) }
      XCTAssertEqual(KernelHZ.fromGranularity(ms: samples)?.hz, Int(hz), "\(hz): \(samples.prefix(8))")
    }
    XCTAssertNil(KernelHZ.fromGranularity(ms: [4, 8, 12]))
  }

  /// Records feed it their last_* times and timer expiries (zeros are no evidence).
  func testGranularityFromRecords() {
    let records = (1...20).map { i -> SocketRecord in
      var r = Fixture.record(timer: .keepalive, expiresMs: UInt32(i * 1000 + 4 * i), cookie: UInt64(i), info: Fixture.info(idleMs: UInt32(i * 8)))
      r.info?.lastDataSentMs = 0
      return r
    }
    XCTAssertEqual(KernelHZ.fromGranularity(records), KernelHZ(hz: 250, from: "granularity"))
  }
}
