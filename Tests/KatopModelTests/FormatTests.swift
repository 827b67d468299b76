import KatopModel
import XCTest

final class FormatTests: XCTestCase {
  func v6(_ groups: [UInt16]) -> IPAddress {
    var hi: UInt64 = 0, lo: UInt64 = 0
    for i in 0..<4 { hi = hi << 16 | UInt64(groups[i]) }
    for i in 4..<8 { lo = lo << 16 | UInt64(groups[i]) }
    return .v6(hi: hi, lo: lo)
  }

  func testAddressesPrintLikeInetNtop() {
    let cases: [(IPAddress, String, UInt)] = [
      (.v4(127, 0, 0, 1), "127.0.0.1", #line),
      (.v4(0, 0, 0, 0), "0.0.0.0", #line),
      (.v4(255, 255, 255, 255), "255.255.255.255", #line),
      (v6([0, 0, 0, 0, 0, 0, 0, 1]), "::1", #line),
      (v6([0, 0, 0, 0, 0, 0, 0, 0]), "::", #line),
      (v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1]), "2001:db8::1", #line),
      (v6([0xfe80, 0, 0, 0, 0, 0, 1, 2]), "fe80::1:2", #line),
      (v6([0x2001, 0xdb8, 0, 1, 1, 1, 1, 1]), "2001:db8:0:1:1:1:1:1", #line),  // single zero group stays
      (v6([0x2001, 0, 0, 1, 0, 0, 0, 1]), "2001:0:0:1::1", #line),  // the longer run wins
      (v6([1, 0, 0, 0, 0, 0, 0, 0]), "1::", #line),
      (v6([0, 0, 0, 0, 0, 0xffff, 0x7f00, 0x0001]), "::ffff:127.0.0.1", #line),
    ]
    for (address, expected, line) in cases {
      XCTAssertEqual(Format.address(address), expected, line: line)
    }
  }

  func testEndpointsPrintLikeSs() {
    XCTAssertEqual(Format.endpoint(Endpoint(address: .v4(127, 0, 0, 1), port: 5432)), "127.0.0.1:5432")
    XCTAssertEqual(Format.endpoint(Endpoint(address: .v4(0, 0, 0, 0), port: 22)), "0.0.0.0:22")
    XCTAssertEqual(Format.endpoint(Endpoint(address: .v4(0, 0, 0, 0), port: 0)), "0.0.0.0:*")
    XCTAssertEqual(Format.endpoint(Endpoint(address: v6([0, 0, 0, 0, 0, 0, 0, 1]), port: 22)), "[::1]:22")
    XCTAssertEqual(Format.endpoint(Endpoint(address: .v6(hi: 0, lo: 0), port: 0)), "[::]:*")
    XCTAssertEqual(
      Format.endpoint(Endpoint(address: v6([0, 0, 0, 0, 0, 0xffff, 0x0a00, 0x0001]), port: 80)), "[::ffff:10.0.0.1]:80")
  }

  func testDurations() {
    let cases: [(Int64, String, UInt)] = [
      (0, "0ms", #line), (850, "850ms", #line), (999, "999ms", #line), (1000, "1s", #line), (45_999, "45s", #line),
      (60_000, "1m00s", #line), (425_000, "7m05s", #line), (3_599_999, "59m59s", #line), (3_600_000, "1h00m", #line),
      (7_875_000, "2h11m", #line), (86_400_000, "1d00h", #line), (273_600_000, "3d04h", #line), (-1500, "-1s", #line),
    ]
    for (ms, expected, line) in cases {
      XCTAssertEqual(Format.duration(ms: ms), expected, line: line)
    }
    XCTAssertEqual(Format.duration(seconds: 7200), "2h00m")
    XCTAssertFalse(Format.duration(ms: Int64.min).isEmpty)
  }
}
