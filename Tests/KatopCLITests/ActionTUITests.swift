// The TUI's K key in a real terminal (tmux) on a child's connection: the confirmation names the
// change, y applies it, the row's KA / Settings change on the next refresh, the child sees the
// new values on its own fd, one syslog line is written; --readonly: the key does nothing and the
// help and hint bar do not list it.
import Foundation
import XCTest

final class ActionTUITests: XCTestCase {
  func rows(_ screen: String, port: UInt16) -> [Substring] {
    screen.split(separator: "\n").filter { $0.contains("127.0.0.1:\(port)") && $0.contains("ESTAB") }
  }

  /// katop on `fixture`'s port in a 120x20 tmux pane, logging to `syslog`, once every row shows
  /// its owner (the first frame comes before the owner scan). Returns the session and that screen.
  func startTUI(_ fixture: FixtureProcess, syslog: SyslogListener, rows count: Int) throws -> (TmuxSession, String) {
    let t = try TmuxSession(
      width: 160, height: 20,
      command: "\(Binaries.katop) --port \(fixture.port) --state established --sort local --interval 0.5",
      env: ["KATOP_SYSLOG_SOCKET": syslog.path])
    let screen = try t.waitFor("\(count) rows with owners") { s in
      let r = self.rows(s, port: fixture.port)
      return r.count == count && r.allSatisfy { $0.contains("\(fixture.pid)/katop-fi") }
    }
    return (t, screen)
  }

  func testKSetsKeepaliveOnTheSelectedRowAfterConfirmation() throws {
    guard getuid() == 0 else { throw XCTSkip("needs root (pidfd_getfd)") }
    try Binaries.require(Binaries.katop)
    let fixture = try FixtureProcess(["--port", "0", "--connections", "1"])
    defer { fixture.stop() }
    let syslog = try SyslogListener()
    let (t, before) = try startTUI(fixture, syslog: syslog, rows: 2)
    defer { t.kill() }
    XCTAssertTrue(rows(before, port: fixture.port).allSatisfy { $0.contains(" off ") }, before)
    XCTAssertTrue(before.contains("KKeepalive") && before.contains("F9Kill"), "hint bar:\n\(before)")
    try t.send("K")
    let confirm = try t.waitFor("the confirmation") { $0.contains("? y/N") }
    XCTAssertTrue(
      confirm.contains("set keepalive 300/30/5 on 1 socket of katop-fixture (pid \(fixture.pid))? y/N"), confirm)
    XCTAssertEqual(try fixture.options(), Array(repeating: "keepalive=0 idle=7200 intvl=75 cnt=9 user_timeout=0", count: 2))
    // e: the values are editable before saying yes.
    try t.send("e")
    try t.waitFor("the values form") { $0.contains("Keepalive idle/interval/count") }
    try t.sendLiteral("120/15/4/40000")
    try t.send("Enter")
    try t.waitFor("the question with the new values") {
      $0.contains("set keepalive 120/15/4 user-timeout 40000ms on 1 socket of katop-fixture (pid \(fixture.pid))? y/N")
    }
    try t.send("y")
    let after = try t.waitFor("one row with keepalive on 120/15/4") { s in
      self.rows(s, port: fixture.port).filter { $0.contains(" on ") && $0.contains("120/15/4") && $0.contains("ka ") }.count == 1
    }
    XCTAssertTrue(after.contains("set-keepalive: 1 of 1 changed (off 7200/75/9"), after)
    XCTAssertEqual(
      try fixture.options().sorted(),
      ["keepalive=0 idle=7200 intvl=75 cnt=9 user_timeout=0", "keepalive=1 idle=120 intvl=15 cnt=4 user_timeout=40000"])
    let logged = syslog.lines()
    XCTAssertEqual(logged.count, 1, "\(logged)")
    XCTAssertTrue(logged.first?.contains("]: set-keepalive by uid 0 (root") ?? false, "\(logged)")
    XCTAssertTrue(logged.first?.hasSuffix("-> on 120/15/4 user-timeout 40000ms") ?? false, "\(logged)")
    // The session as the user saw it (docs/actions.md quotes it).
    print("K in the TUI, before:\n\(before)\nthe confirmation:\n\(confirm)\nafter y:\n\(after)\nsyslog:\n" + logged.joined(separator: "\n"))

    // U puts the old values back (asks first).
    try t.send("U")
    try t.waitFor("the undo confirmation") { $0.contains("undo: set keepalive off 7200/75/9 user-timeout 0ms") }
    try t.send("y")
    try t.waitFor("both rows off again") { s in
      let r = self.rows(s, port: fixture.port)
      return r.count == 2 && r.allSatisfy { $0.contains(" off ") }
    }
    XCTAssertEqual(try fixture.options(), Array(repeating: "keepalive=0 idle=7200 intvl=75 cnt=9 user_timeout=0", count: 2))
    try t.send("q")
    XCTAssertTrue(t.waitForExit())
  }

  func testF9EndsTheSelectedConnectionAfterConfirmation() throws {
    guard getuid() == 0 else { throw XCTSkip("needs root (SOCK_DESTROY)") }
    try Binaries.require(Binaries.katop)
    let fixture = try FixtureProcess(["--port", "0", "--connections", "2"])
    defer { fixture.stop() }
    let syslog = try SyslogListener()
    let (t, _) = try startTUI(fixture, syslog: syslog, rows: 4)
    defer { t.kill() }
    try t.send("F9")
    try t.waitFor("the question") {
      $0.contains("end 1 connection of katop-fixture (pid \(fixture.pid)) with SOCK_DESTROY (RST)? y/N")
    }
    try t.send("y")
    let after = try t.waitFor("the connection gone: both ends") { self.rows($0, port: fixture.port).count == 2 }
    XCTAssertTrue(after.contains("kill: 1 of 1 ended (SOCK_DESTROY)"), after)
    let seen = try fixture.receives()
    XCTAssertEqual(seen.filter { $0 == "recv=ECONNABORTED" }.count, 1, "\(seen)")
    XCTAssertEqual(seen.filter { $0 == "recv=ECONNRESET" }.count, 1, "\(seen)")
    XCTAssertEqual(seen.filter { $0 == "recv=EAGAIN" }.count, 2, "the other connection lives: \(seen)")
    let logged = syslog.lines()
    XCTAssertEqual(logged.count, 1, "\(logged)")
    XCTAssertTrue(logged.first?.hasSuffix(": ended (SOCK_DESTROY)") ?? false, "\(logged)")
    try t.send("q")
    XCTAssertTrue(t.waitForExit())
  }

  func testReadonlyTUIHasNoActionKeys() throws {
    try Binaries.require(Binaries.katop)
    let fixture = try FixtureProcess(["--port", "0", "--connections", "1"])
    defer { fixture.stop() }
    let t = try TmuxSession(
      width: 120, height: 40, command: "\(Binaries.katop) --readonly --port \(fixture.port) --state established --interval 0.5")
    defer { t.kill() }
    let table = try t.waitFor("the rows") { self.rows($0, port: fixture.port).count == 2 }
    XCTAssertFalse(table.contains("Keepalive") || table.contains("F9Kill"), table)
    XCTAssertTrue(table.contains("F10Quit"), table)
    try t.send("K")
    try t.send("F9")
    Thread.sleep(forTimeInterval: 1.2)
    let still = try t.capture()
    XCTAssertFalse(still.contains("y/N"), still)
    XCTAssertEqual(rows(still, port: fixture.port).count, 2, still)
    XCTAssertEqual(try fixture.options(), Array(repeating: "keepalive=0 idle=7200 intvl=75 cnt=9 user_timeout=0", count: 2))
    XCTAssertEqual(try fixture.receives(), ["recv=EAGAIN", "recv=EAGAIN"])
    try t.send("F1")
    let help = try t.waitFor("the help") { $0.contains("show this help") }
    XCTAssertFalse(help.contains("set keepalive") || help.contains("SOCK_DESTROY") || help.contains("undo"), help)
    try t.send("Escape")
    try t.send("q")
    XCTAssertTrue(t.waitForExit())
  }
}
