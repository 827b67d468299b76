// docs/keys.md mirrors the key table: every key of every binding is named there.
import Foundation
import XCTest
@testable import KatopUI

final class KeysDocTests: XCTestCase {
  func testEveryBoundKeyIsInDocsKeys() throws {
    let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("docs/keys.md")
    let text = try String(contentsOf: docs, encoding: .utf8)
    var missing: [String] = []
    for binding in KeyTable.bindings {
      for key in binding.keys where !text.contains("`\(key.name)`") {
        missing.append("\(key.name) (\(binding.help))")
      }
    }
    XCTAssertTrue(missing.isEmpty, "docs/keys.md does not name: \(missing)")
  }
}
