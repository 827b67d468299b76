import XCTest

final class KatopUITestsPlaceholder: XCTestCase {
  func testPlaceholder() { XCTAssertTrue(true) }
}
