// The view for a busy host over SSH, in a real 80x24 terminal (tmux): owners and Cut in on
// screen, PAUSED in the header.
import Foundation
import XCTest

final class BusyHostViewTests: XCTestCase {
  /// 80x24, a port filter, path budgets: Owner and Cut in are columns; Space puts PAUSED in the
  /// header and Space again takes it away.
  func testOwnerCutInAndPausedAt80x24() throws {
    try Binaries.require(Binaries.katop)
    let p = try FixtureProcess(["--port", "0", "--connections", "2"])
    defer { p.stop() }
    let t = try TmuxSession(
      width: 80, height: 24, command: "\(Binaries.katop) --path 127.0.0.0/8=600 --port \(p.port) --interval 0.5")
    defer { t.kill() }
    let table = try t.waitFor("the fixture's rows") { $0.contains("katop-fixture") }
    let lines = table.split(separator: "\n", omittingEmptySubsequences: false)
    XCTAssertTrue(lines.contains { $0.contains("Owner") && $0.contains("Cut in") && $0.contains("State") && $0.contains("KA") }, table)
    XCTAssertTrue(lines.allSatisfy { $0.count <= 80 })
    XCTAssertFalse(table.contains("PAUSED"), table)
    try t.send("Space")
    let paused = try t.waitFor("PAUSED in the header") { $0.split(separator: "\n").first?.contains("PAUSED") ?? false }
    XCTAssertTrue(paused.contains("filter ports \(p.port)"), "the active filter stays visible:\n\(paused)")
    try t.send("Space")
    try t.waitFor("PAUSED gone") { !$0.contains("PAUSED") }
    try t.send("q")
    XCTAssertTrue(t.waitForExit())
  }
}
