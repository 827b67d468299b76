import XCTest

final class KatopCLITestsPlaceholder: XCTestCase {
  func testPlaceholder() { XCTAssertTrue(true) }
}
