// Screen snapshots stored as text files under Snapshots/ next to this file.
// KATOP_UPDATE_SNAPSHOTS=1 rewrites them (then review the diff before committing).
import Foundation
import XCTest
@testable import KatopUI

enum Snapshots {
  static var directory: String {
    let file = "\(#filePath)"
    return String(file[..<(file.lastIndex(of: "/") ?? file.endIndex)]) + "/Snapshots"
  }

  static func assertScreen(
    _ buffer: ScreenBuffer, named name: String, file: StaticString = #filePath, line: UInt = #line
  ) {
    let path = directory + "/" + name + ".txt"
    let actual = buffer.lines()
    if ProcessInfo.processInfo.environment["KATOP_UPDATE_SNAPSHOTS"] == "1" {
      try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
      try? (actual.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
      return
    }
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
      XCTFail("missing snapshot \(path); run with KATOP_UPDATE_SNAPSHOTS=1 to record it", file: file, line: line)
      return
    }
    var expected = text.components(separatedBy: "\n")
    if expected.last == "" { expected.removeLast() }
    var diff: [String] = []
    for i in 0..<max(expected.count, actual.count) {
      let e = i < expected.count ? expected[i] : "<missing>"
      let a = i < actual.count ? actual[i] : "<missing>"
      if e != a { diff.append("line \(i + 1):\n  expected: |\(e)|\n  actual:   |\(a)|") }
    }
    if !diff.isEmpty {
      XCTFail("screen \(name) differs from \(path):\n" + diff.joined(separator: "\n"), file: file, line: line)
    }
  }
}
