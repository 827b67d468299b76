// The real binary against a sandbox without netlink (seccomp), the /proc source in the TUI, and a
// process whose name holds escape sequences (docs/bad-input.md).
import Foundation
import XCTest

final class HostileInputTests: XCTestCase {
  /// 13 bytes (comm keeps 15): clear screen, carriage return, red, bell.
  static let hostileName = "a\u{1b}[2J\r\u{1b}[31mX\u{7}"
  static let hostileShown = "a?[2J??[31mX?"
  static let fallbackNote = "netlink sock_diag unavailable (EPERM): using /proc/net/tcp, no tcp_info"

  func hasControlCharacters(_ text: String, allowing allowed: Set<Unicode.Scalar> = ["\n"]) -> Bool {
    text.unicodeScalars.contains { ($0.value < 0x20 || $0.value == 0x7F) && !allowed.contains($0) }
  }

  /// katop-fixture --deny-netlink runs katop under a seccomp filter that fails socket(AF_NETLINK)
  /// with EPERM, as a sandbox would: the real binary falls back to /proc and says so.
  func testNetlinkDeniedBySeccompFallsBackToProcWithANote() throws {
    try Binaries.require(Binaries.katop)
    let p = try FixtureProcess(["--port", "0", "--connections", "2"])
    defer { p.stop() }
    let denied = [Binaries.fixture, "--deny-netlink", Binaries.katop]

    let json = try runProcess(Binaries.fixture, Array(denied.dropFirst()) + ["--once", "--json", "--port", "\(p.port)"])
    XCTAssertEqual(json.status, 0, json.stderr)
    XCTAssertEqual(json.stderr, "")
    let object = try jsonObject(json.stdout)
    let system = try XCTUnwrap(object["system"] as? [String: Any])
    XCTAssertEqual(system["source"] as? String, "proc")
    XCTAssertEqual(system["notes"] as? [String], [HostileInputTests.fallbackNote])
    let connections = try XCTUnwrap(object["connections"] as? [[String: Any]])
    XCTAssertEqual(connections.count, 5, "listener + 2 connections x 2 ends:\n\(json.stdout)")

    let table = try runProcess(Binaries.fixture, Array(denied.dropFirst()) + ["--once", "--port", "\(p.port)"])
    XCTAssertEqual(table.status, 0, table.stderr)
    XCTAssertTrue(table.stdout.contains("note: " + HostileInputTests.fallbackNote), table.stdout)

    // Asking for netlink explicitly: no fallback, one-line error.
    let strict = try runProcess(Binaries.fixture, Array(denied.dropFirst()) + ["--once", "--source", "netlink"])
    XCTAssertEqual(strict.status, 1)
    XCTAssertEqual(strict.stdout, "")
    XCTAssertEqual(strict.stderr, "katop: cannot open NETLINK_SOCK_DIAG socket (EPERM)\n")

    // Without the filter the same command uses netlink (the filter is what made the difference).
    let normal = try runProcess(Binaries.katop, ["--once", "--json", "--port", "\(p.port)"])
    XCTAssertEqual((try jsonObject(normal.stdout)["system"] as? [String: Any])?["source"] as? String, "netlink")

    // The TUI under the same sandbox shows the note below the header.
    let t = try TmuxSession(width: 120, height: 24, command: denied.joined(separator: " ") + " --port \(p.port)")
    defer { t.kill() }
    let screen = try t.waitFor("the fallback note and the rows") {
      $0.contains(HostileInputTests.fallbackNote) && $0.contains("127.0.0.1:\(p.port)")
    }
    let lines = screen.split(separator: "\n", omittingEmptySubsequences: false)
    XCTAssertTrue(lines[3].hasPrefix(HostileInputTests.fallbackNote), screen)
    try t.send("q")
    XCTAssertTrue(t.waitForExit())
  }

  func testTUIWithSourceProcSaysSoInTheHeader() throws {
    try Binaries.require(Binaries.katop)
    let p = try FixtureProcess(["--port", "0", "--connections", "1"])
    defer { p.stop() }
    let t = try TmuxSession(width: 120, height: 24, command: "\(Binaries.katop) --source proc --port \(p.port)")
    defer { t.kill() }
    let screen = try t.waitFor("rows read from /proc") { $0.contains("127.0.0.1:\(p.port)") && $0.contains("LISTEN") }
    let lines = screen.split(separator: "\n", omittingEmptySubsequences: false)
    XCTAssertTrue(lines[0].hasPrefix("katop"), screen)
    XCTAssertEqual(String(lines[3]).trimmingCharacters(in: .whitespaces),
                   "source proc requested: using /proc/net/tcp, no tcp_info", screen)
    try t.send("q")
    XCTAssertTrue(t.waitForExit())
  }

  func testHostileProcessNameCannotBreakTableTUIOrJSON() throws {
    try Binaries.require(Binaries.katop)
    let p = try FixtureProcess(["--port", "0", "--connections", "1", "--comm", HostileInputTests.hostileName])
    defer { p.stop() }
    let comm = try String(contentsOfFile: "/proc/\(p.pid)/comm", encoding: .utf8)
    XCTAssertEqual(comm, HostileInputTests.hostileName + "\n", "the fixture did not take the name")

    // --once table: the name with every control character replaced, no control bytes at all.
    let table = try runProcess(Binaries.katop, ["--once", "--port", "\(p.port)"])
    XCTAssertEqual(table.status, 0, table.stderr)
    XCTAssertTrue(table.stdout.contains("\(p.pid)/" + HostileInputTests.hostileShown), table.stdout)
    XCTAssertFalse(hasControlCharacters(table.stdout), table.stdout.debugDescription)
    let rows = table.stdout.split(separator: "\n").filter { $0.contains(":\(p.port)") }
    XCTAssertEqual(rows.count, 3, table.stdout)
    XCTAssertEqual(Set(rows.map { $0.count }).count, 1, "rows of one width:\n\(table.stdout)")

    // JSON: escaped on the wire, the exact bytes after decoding.
    let json = try runProcess(Binaries.katop, ["--once", "--json", "--port", "\(p.port)"])
    XCTAssertEqual(json.status, 0, json.stderr)
    XCTAssertFalse(hasControlCharacters(json.stdout), json.stdout.debugDescription)
    XCTAssertTrue(json.stdout.contains("\\u001b[2J"), json.stdout)
    let connections = try XCTUnwrap(try jsonObject(json.stdout)["connections"] as? [[String: Any]])
    XCTAssertEqual(connections.count, 3)
    for c in connections {
      let owner = try XCTUnwrap(c["owner"] as? [String: Any], "\(c)")
      XCTAssertEqual(owner["command"] as? String, HostileInputTests.hostileName)
    }

    // TUI: header, rows and hint bar where they belong; the name shown inert; same in the detail.
    let width = 120, height = 20
    let t = try TmuxSession(width: width, height: height, command: "\(Binaries.katop) --port \(p.port)")
    defer { t.kill() }
    let screen = try t.waitFor("the three rows") { s in
      s.split(separator: "\n").filter { $0.contains("\(p.pid)/a?[2J") }.count == 3
    }
    let lines = screen.split(separator: "\n", omittingEmptySubsequences: false)
    XCTAssertTrue(lines[0].hasPrefix("katop"), "header overwritten:\n\(screen)")
    XCTAssertTrue(lines[3].contains("Local") && lines[3].contains("Owner"), screen)
    XCTAssertTrue(lines.last { !$0.isEmpty }?.contains("Help") ?? false, "hint bar missing:\n\(screen)")
    XCTAssertTrue(lines.allSatisfy { $0.count <= width }, screen)
    try t.send("Enter")
    let detail = try t.waitFor("the detail view") { $0.contains(HostileInputTests.hostileShown) && !$0.contains("Local ") }
    XCTAssertTrue(detail.split(separator: "\n").first?.hasPrefix("katop") ?? false, detail)
    try t.send("q")
    XCTAssertTrue(t.waitForExit())
    XCTAssertEqual(t.alternateOn, "0")
  }
}
