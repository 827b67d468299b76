// Bad or unusual input from the environment and theme files, through the real binary:
// --theme (missing, broken, unknown role), NO_COLOR, and a non-UTF-8 locale.
import Foundation
import XCTest

final class EnvironmentInputTests: XCTestCase {
  func themeFile(_ text: String) throws -> String {
    let path = NSTemporaryDirectory() + "/katop-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).theme"
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
    return path
  }

  func testMissingThemeIsAOneLineError() throws {
    try Binaries.require(Binaries.katop)
    for name in ["/nonexistent/x.theme", "no-such-theme"] {
      let r = try runProcess(Binaries.katop, ["--theme", name])
      XCTAssertEqual(r.status, 1, name)
      XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
      XCTAssertTrue(r.stderr.hasPrefix("katop: \(name)"), r.stderr)
    }
  }

  func testBrokenThemeNamesFileAndLine() throws {
    try Binaries.require(Binaries.katop)
    let path = try themeFile("# ok\nrow = fg:white\nheader = fg:chartreuse\n")
    let r = try runProcess(Binaries.katop, ["--theme", path])
    XCTAssertEqual(r.status, 1)
    XCTAssertEqual(r.stderr, "katop: \(path):3: unknown colour 'chartreuse'\n")
    let binary = try themeFile(String(decoding: [0xFF, 0xFE, 0x00, 0x0A, 0x3D, 0x3D], as: UTF8.self))
    let b = try runProcess(Binaries.katop, ["--theme", binary])
    XCTAssertEqual(b.status, 1)
    XCTAssertEqual(b.stderr.split(separator: "\n").count, 1, b.stderr)
    XCTAssertTrue(b.stderr.contains("\(binary):1:"), b.stderr)
  }

  func testUnknownThemeRoleIsAWarningThenKatopCarriesOn() throws {
    try Binaries.require(Binaries.katop)
    let path = try themeFile("row = fg:white\nsparkles = bold\n")
    // No terminal here: katop warns about the role, then stops at the terminal check.
    let r = try runProcess(Binaries.katop, ["--theme", path])
    let lines = r.stderr.split(separator: "\n")
    XCTAssertEqual(lines.count, 2, r.stderr)
    XCTAssertEqual(lines.first.map(String.init), "katop: warning: \(path):2: unknown role 'sparkles' ignored")
    XCTAssertTrue(lines.last?.contains("not a terminal") ?? false, r.stderr)
  }

  /// The pane's screen with escape sequences (-e) once the table is up; then q.
  func screenWithEscapes(env: [String: String], args: String = "") throws -> String {
    try Binaries.require(Binaries.katop)
    let prefix = env.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " ")
    // -u NO_COLOR: the test runner's own environment may carry it (swift test sets it when
    // its output is not a terminal).
    let t = try TmuxSession(width: 120, height: 30, command: "env -u NO_COLOR \(prefix) \(Binaries.katop) \(args)")
    defer { t.kill() }
    try t.waitFor("the table") { $0.contains("LISTEN") || $0.contains("ESTAB") }
    let screen = try t.tmux(["capture-pane", "-p", "-e", "-t", t.name])
    try t.send("q")
    XCTAssertTrue(t.waitForExit())
    XCTAssertEqual(t.alternateOn, "0")
    return screen
  }

  /// SGR colour parameters (30-37, 40-47, 38;5;N, 48;5;N, 90-97) in captured output.
  func hasColour(_ screen: String) -> Bool {
    screen.range(of: "\u{1B}\\[[0-9;]*(3[0-7]|4[0-7]|38;5;[0-9]+|48;5;[0-9]+|9[0-7])m", options: .regularExpression) != nil
  }

  func testNoColorEnvironmentDropsColours() throws {
    let coloured = try screenWithEscapes(env: ["TERM": "xterm-256color"])
    XCTAssertTrue(hasColour(coloured), "expected colours by default:\n\(coloured.prefix(400).debugDescription)")
    let plain = try screenWithEscapes(env: ["TERM": "xterm-256color", "NO_COLOR": "1"])
    XCTAssertFalse(hasColour(plain), "NO_COLOR set but colours drawn")
    XCTAssertTrue(plain.contains("\u{1B}["), "attributes (bold/reverse) still used")
  }

  func testNonUTF8LocaleFallsBackToASCII() throws {
    let utf8 = try screenWithEscapes(env: ["LC_ALL": "C.UTF-8"])
    XCTAssertTrue(utf8.contains("▼") || utf8.contains("▲"), "UTF-8 locale shows the sort arrow glyph")
    let c = try screenWithEscapes(env: ["LC_ALL": "C", "LANG": "C"])
    XCTAssertTrue(c.unicodeScalars.allSatisfy { $0.isASCII }, "non-ASCII on a C-locale screen")
  }
}
