import KatopModel
import XCTest

/// One parser for `--port` and the TUI's port prompt.
final class PortListTests: XCTestCase {
  func testAcceptedForms() {
    XCTAssertEqual(try PortList.parse("3306").get(), [3306])
    XCTAssertEqual(try PortList.parse("80,443").get(), [80, 443])
    XCTAssertEqual(try PortList.parse("443, 80 443").get(), [443, 80])
    XCTAssertEqual(try PortList.parse("65535 1").get(), [65535, 1])
    XCTAssertEqual(try PortList.parse("").get(), [])
    XCTAssertEqual(try PortList.parse("   ").get(), [])
  }

  func testRefusedPiecesAreNamed() {
    XCTAssertEqual(PortList.parse("0"), .failure(PortList.Problem(piece: "0")))
    XCTAssertEqual(PortList.parse("70000"), .failure(PortList.Problem(piece: "70000")))
    XCTAssertEqual(PortList.parse("80,abc"), .failure(PortList.Problem(piece: "abc")))
    XCTAssertEqual(PortList.parse("80,"), .failure(PortList.Problem(piece: "")))
    XCTAssertEqual(PortList.parse("80,,443"), .failure(PortList.Problem(piece: "")))
    XCTAssertEqual(PortList.parse("+80"), .failure(PortList.Problem(piece: "+80")))
    XCTAssertEqual(PortList.parse("８０"), .failure(PortList.Problem(piece: "８０")))
    XCTAssertEqual(PortList.Problem(piece: "0").description, "'0' is not a port (1-65535)")
  }
}
