// Issue 3 acceptance: the real binary in a real terminal (tmux).
import Foundation
import XCTest

final class TUITests: XCTestCase {
  func rows(_ screen: String, port: UInt16) -> [Substring] {
    screen.split(separator: "\n").filter { $0.contains("127.0.0.1:\(port) ") || $0.contains("127.0.0.1:\(port)\u{20}") || $0.hasSuffix("127.0.0.1:\(port)") }
  }

  func testPortFilterThenQuitRestoresTerminal() throws {
    try Binaries.require(Binaries.katop)
    let p = try FixtureProcess(["--port", "0", "--connections", "3"])
    let q = try FixtureProcess(["--port", "0", "--connections", "3"])
    defer { p.stop(); q.stop() }
    // Both fixtures' ports from the start, so whatever else the host runs (thousands of sockets
    // sorting before them) the first screen holds their 14 sockets; then the prompt narrows it.
    let t = try TmuxSession(
      width: 120, height: 40,
      command: "\(Binaries.katop) --interval 0.5 --sort local --port \(p.port),\(q.port) --state established --state listen")
    defer { t.kill() }
    try t.waitFor("both fixtures on the first screen") { s in
      self.rows(s, port: p.port).count >= 6 && self.rows(s, port: q.port).count >= 6
    }
    XCTAssertEqual(t.alternateOn, "1")
    try t.send("p")
    try t.sendLiteral("\(p.port)")
    try t.send("Enter")
    let screen = try t.waitFor("only port \(p.port)") { s in
      self.rows(s, port: p.port).count >= 6 && self.rows(s, port: q.port).isEmpty
    }
    XCTAssertGreaterThanOrEqual(rows(screen, port: p.port).count, 7, "6 connected sockets + the listener:\n\(screen)")
    try t.send("q")
    XCTAssertTrue(t.waitForExit(), "katop did not exit on q")
    XCTAssertEqual(t.alternateOn, "0")
  }

  /// 80x24: header, table and hints readable; Enter on a risky connection shows why and the fix.
  func testDetailOfRiskyConnectionAt80x24() throws {
    try Binaries.require(Binaries.katop)
    let p = try FixtureProcess(["--port", "0", "--connections", "2"])
    defer { p.stop() }
    Thread.sleep(forTimeInterval: 1.5)
    let t = try TmuxSession(width: 80, height: 24, command: "\(Binaries.katop) --path 127.0.0.0/8=1 --risky --port \(p.port)")
    defer { t.kill() }
    let table = try t.waitFor("risky rows") { $0.contains("no-keepalive") }
    let lines = table.split(separator: "\n", omittingEmptySubsequences: false)
    XCTAssertTrue(lines.first?.hasPrefix("katop") ?? false, table)
    XCTAssertTrue(table.contains("filter ports \(p.port)"), table)
    XCTAssertTrue(lines.contains { $0.contains("Local") && $0.contains("State") && $0.contains("Risk") }, table)
    XCTAssertTrue(lines.last { !$0.isEmpty }?.contains("Help") ?? false, "hint bar missing:\n\(table)")
    XCTAssertTrue(lines.allSatisfy { $0.count <= 80 })
    try t.send("Enter")
    let detail = try t.waitFor("the detail view") { $0.contains("Risks (") }
    XCTAssertTrue(detail.contains("no-keepalive"), detail)
    XCTAssertTrue(detail.contains("idle timeout"), "the reason names the timeout:\n\(detail)")
    XCTAssertTrue(detail.contains("fix:"), detail)
    XCTAssertTrue(detail.contains("katop-fixture"), "the fix names the owner:\n\(detail)")
    try t.send("Escape")
    try t.waitFor("back to the table") { $0.contains("Local") && !$0.contains("Risks (") }
    try t.send("q")
    XCTAssertTrue(t.waitForExit())
    XCTAssertEqual(t.alternateOn, "0")
  }

  func signalEndsKatop(_ signal: Int32) throws {
    try Binaries.require(Binaries.katop)
    let t = try TmuxSession(width: 100, height: 30, command: "\(Binaries.katop)")
    defer { t.kill() }
    try t.waitFor("the table") { $0.contains("LISTEN") || $0.contains("ESTAB") }
    XCTAssertEqual(t.alternateOn, "1")
    let pid = try XCTUnwrap(t.panePid)
    if signal == SIGINT {
      try t.send("C-c")  // the terminal's ^C, not a kill(2)
    } else {
      XCTAssertEqual(Glibc.kill(pid, signal), 0)
    }
    XCTAssertTrue(t.waitForExit(), "katop still running after signal \(signal)")
    XCTAssertEqual(t.alternateOn, "0", "terminal left in the alternate screen after signal \(signal)")
  }

  func testSIGHUPRestoresTerminal() throws { try signalEndsKatop(SIGHUP) }
  func testSIGTERMRestoresTerminal() throws { try signalEndsKatop(SIGTERM) }
  func testCtrlCRestoresTerminal() throws { try signalEndsKatop(SIGINT) }

  func testNotATerminalSuggestsOnce() throws {
    try Binaries.require(Binaries.katop)
    let r = try runProcess(Binaries.katop, [])
    XCTAssertNotEqual(r.status, 0)
    XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
    XCTAssertTrue(r.stderr.contains("--once"), r.stderr)
  }
}
