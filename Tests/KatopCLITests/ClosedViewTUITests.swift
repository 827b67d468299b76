// The TUI's Closed view (L) in a real terminal: F9 ends one of a fixture's connections, then the
// fixture exits; L lists the four deaths newest first with their causes (killed by katop, the
// peer reset by it, two orderly closes) and the fixture as owner.
import Foundation
import XCTest

final class ClosedViewTUITests: XCTestCase {
  func testClosedViewListsDeathsWithTheirCause() throws {
    guard getuid() == 0 else { throw XCTSkip("needs root (SOCK_DESTROY for F9)") }
    try Binaries.require(Binaries.katop)
    let fixture = try FixtureProcess(["--port", "0", "--connections", "2"])
    let port = fixture.port
    let syslog = try SyslogListener()
    let t = try TmuxSession(
      width: 160, height: 24,
      command: "\(Binaries.katop) --port \(port) --state established --sort local --interval 0.5",
      env: ["KATOP_SYSLOG_SOCKET": syslog.path])
    defer { t.kill() }
    func rows(_ s: String) -> [Substring] { s.split(separator: "\n").filter { $0.contains("127.0.0.1:\(port)") && $0.contains("ESTAB") } }
    try t.waitFor("4 rows with owners") { s in rows(s).count == 4 && rows(s).allSatisfy { $0.contains("\(fixture.pid)/katop-fi") } }
    try t.send("F9")
    try t.waitFor("the question") { $0.contains("SOCK_DESTROY (RST)? y/N") }
    try t.send("y")
    try t.waitFor("one connection gone") { rows($0).count == 2 }
    fixture.stop()
    try t.waitFor("the fixture's sockets gone") { rows($0).isEmpty }
    try t.send("L")
    let screen = try t.waitFor("four deaths") { s in
      s.contains("Closed connections, newest first") && s.components(separatedBy: "/katop-fi").count - 1 >= 4
    }
    print("CLOSED VIEW\n" + screen)
    let lines = screen.split(separator: "\n").map(String.init)
    let entries = lines.filter { $0.contains("/katop-fi") }
    XCTAssertEqual(entries.count, 4, screen)
    XCTAssertEqual(entries.filter { $0.contains(" killed ") }.count, 1, "the F9 one:\n\(screen)")
    XCTAssertEqual(entries.filter { $0.contains(" reset ") }.count, 1, "its peer, reset by the RST:\n\(screen)")
    XCTAssertEqual(entries.filter { $0.contains(" closed ") }.count, 2, "the other connection's two ends:\n\(screen)")
    XCTAssertTrue(screen.contains("SOCK_DESTROY sent by katop (pid"), screen)
    // The killed socket died when the fixture exited, after its peer? Newest first either way:
    // the killed entry is listed below none of the later ones' times.
    try t.send("/")
    try t.sendLiteral("killed")
    try t.send("Enter")
    let filtered = try t.waitFor("only the killed one") { s in
      s.contains("1 shown of") && s.contains("Closed connections")
    }
    XCTAssertEqual(filtered.split(separator: "\n").filter { $0.contains("/katop-fi") }.count, 1, filtered)
    try t.send("Escape")
    try t.waitFor("back to the table") { !$0.contains("Closed connections") && $0.contains("Local") }
    try t.send("q")
    XCTAssertTrue(t.waitForExit())
  }
}
