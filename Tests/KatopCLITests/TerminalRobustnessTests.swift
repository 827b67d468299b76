// Signals and odd terminals (issue 5): ^Z / SIGCONT, SIGWINCH storms, a 20x5 terminal, TERM=dumb,
// TERM unset, stdout or stdin not a terminal. The real binary in a private tmux server.
import Foundation
import XCTest

/// One letter of /proc/PID/stat: R, S, T (stopped) ...; nil once the process is gone.
func processState(_ pid: Int32) -> Character? {
  guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
    let close = text.lastIndex(of: ")")
  else { return nil }
  return text[text.index(close, offsetBy: 2)...].first
}

func looksLikeTable(_ screen: String) -> Bool {
  screen.contains("LISTEN") || screen.contains("ESTAB")
}

/// The child processes of `pid` (from /proc/PID/task/PID/children).
func childPids(of pid: Int32) -> [Int32] {
  let text = (try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8)) ?? ""
  return text.split(separator: " ").compactMap { Int32($0) }
}

final class TerminalRobustnessTests: XCTestCase {
  /// katop started from an interactive bash (job control, like a user's shell) in tmux; returns
  /// the session and katop's pid.
  func startKatop(width: Int = 100, height: Int = 30, _ args: String = "--interval 0.5") throws -> (TmuxSession, Int32) {
    try Binaries.require(Binaries.katop)
    let t = try TmuxSession(width: width, height: height, command: "bash --norc --noprofile -i")
    let shell = try XCTUnwrap(t.panePid)
    try t.waitFor("the shell prompt") { $0.contains("$") || $0.contains("#") }
    try t.sendLiteral("\(Binaries.katop) \(args)")
    try t.send("Enter")
    try t.waitFor("the table") { looksLikeTable($0) }
    XCTAssertEqual(t.alternateOn, "1")
    let katop = try XCTUnwrap(childPids(of: shell).first, "katop is not a child of the shell")
    return (t, katop)
  }

  /// q, then the shell reports katop's exit status 0 and the pane is out of the alternate screen.
  func quitCleanly(_ t: TmuxSession, pid: Int32) throws {
    try t.send("q")
    let deadline = Date().addingTimeInterval(10)
    while processState(pid) != nil && Date() < deadline { usleep(50_000) }
    XCTAssertNil(processState(pid), "katop did not exit on q")
    XCTAssertEqual(t.alternateOn, "0", "terminal left in the alternate screen")
    try t.sendLiteral("echo katop-exit=$?")
    try t.send("Enter")
    try t.waitFor("exit status 0") { $0.contains("katop-exit=0") }
  }

  func testCtrlZThenFgRedrawsAndStaysResponsive() throws {
    let (t, pid) = try startKatop()
    defer { t.kill() }
    try t.send("C-z")
    let deadline = Date().addingTimeInterval(10)
    while processState(pid) != "T" && Date() < deadline { usleep(50_000) }
    XCTAssertEqual(processState(pid), "T", "katop did not stop on ^Z")
    try t.waitFor("the shell's job message") { $0.contains("Stopped") }
    XCTAssertEqual(t.alternateOn, "0", "the stopped katop should hand the normal screen back")
    try t.sendLiteral("fg")
    try t.send("Enter")
    try t.waitFor("the table again after fg") { looksLikeTable($0) && !$0.contains("Stopped") }
    XCTAssertEqual(t.alternateOn, "1")
    XCTAssertNotEqual(processState(pid), "T")
    try t.send("?")
    try t.waitFor("help after resume") { $0.contains("show this help") }
    try t.send("Escape")
    try t.waitFor("table after help") { looksLikeTable($0) && !$0.contains("show this help") }
    try quitCleanly(t, pid: pid)
  }

  func testSIGWINCHStormDoesNotCrash() throws {
    let (t, pid) = try startKatop()
    defer { t.kill() }
    var resizes = 0
    for i in 0..<40 {
      let w = 20 + (i * 37) % 160, h = 5 + (i * 13) % 50
      try t.tmux(["resize-window", "-t", t.name, "-x", "\(w)", "-y", "\(h)"])
      resizes += 1
      for _ in 0..<5 { kill(pid, SIGWINCH) }
    }
    try t.tmux(["resize-window", "-t", t.name, "-x", "100", "-y", "30"])
    XCTAssertNotNil(processState(pid), "katop died during the resize storm: \((try? t.capture()) ?? "")")
    try t.waitFor("the table at 100x30 after \(resizes) resizes") { s in
      looksLikeTable(s) && !s.contains("too small")
    }
    print("SIGWINCH storm: \(resizes) window resizes, \(resizes * 5) extra SIGWINCH")
    try quitCleanly(t, pid: pid)
  }

  func testShrinkTo20x5ThenGrowBack() throws {
    let (t, pid) = try startKatop()
    defer { t.kill() }
    try t.tmux(["resize-window", "-t", t.name, "-x", "20", "-y", "5"])
    let small = try t.waitFor("the too-small message") { $0.contains("too small") }
    XCTAssertFalse(looksLikeTable(small), small)
    XCTAssertTrue(small.split(separator: "\n").allSatisfy { $0.count <= 20 }, small)
    try t.tmux(["resize-window", "-t", t.name, "-x", "100", "-y", "30"])
    try t.waitFor("the table after growing back") { looksLikeTable($0) && !$0.contains("too small") }
    try quitCleanly(t, pid: pid)
  }

  /// Runs `shell` (which starts katop) in a tmux pane, a real terminal; returns (katop's exit
  /// status, the lines it printed).
  func runInPane(_ shell: String) throws -> (String, [Substring]) {
    try Binaries.require(Binaries.katop)
    let t = try TmuxSession(width: 200, height: 20, command: "sh -c '\(shell); echo katop-exit=$?'")
    defer { t.kill() }
    try t.waitFor("the exit status") { $0.contains("katop-exit=") }
    // With the scrollback: the pane may already have scrolled the first line out of view.
    let screen = try t.tmux(["capture-pane", "-p", "-S", "-100", "-t", t.name])
    XCTAssertTrue(t.waitForExit(), "still running: \(shell)")
    XCTAssertEqual(t.alternateOn, "0", shell)
    let lines = screen.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
    let status = lines.first { $0.hasPrefix("katop-exit=") }.map { String($0.dropFirst(11)) } ?? "?"
    return (status, lines.filter { !$0.hasPrefix("katop-exit=") && !$0.hasPrefix("Pane is dead") })
  }

  func assertOneLineError(_ lines: [Substring], mentions: String, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(lines.count, 1, "\(lines)", file: file, line: line)
    XCTAssertTrue(lines.first?.hasPrefix("katop: ") ?? false, "\(lines)", file: file, line: line)
    XCTAssertTrue(lines.first?.contains(mentions) ?? false, "expected '\(mentions)' in \(lines)", file: file, line: line)
  }

  func testDumbTerminalGetsOneLineError() throws {
    let (status, lines) = try runInPane("TERM=dumb \(Binaries.katop)")
    XCTAssertEqual(status, "1")
    assertOneLineError(lines, mentions: "TERM is 'dumb'")
  }

  func testUnsetTermGetsOneLineError() throws {
    let (status, lines) = try runInPane("unset TERM; \(Binaries.katop)")
    XCTAssertEqual(status, "1")
    assertOneLineError(lines, mentions: "TERM is unset")
  }

  func testUnknownTermGetsOneLineError() throws {
    let (status, lines) = try runInPane("TERM=no-such-terminal-xyz \(Binaries.katop)")
    XCTAssertEqual(status, "1")
    assertOneLineError(lines, mentions: "no-such-terminal-xyz")
  }

  func testStdoutNotATerminalGetsOneLineError() throws {
    // stdin is the terminal, stdout a file: the error (stderr) shows on the terminal.
    let (status, lines) = try runInPane("\(Binaries.katop) >/dev/null")
    XCTAssertEqual(status, "1")
    assertOneLineError(lines, mentions: "--once")
  }

  func testStdinNotATerminalGetsOneLineError() throws {
    let (status, lines) = try runInPane("\(Binaries.katop) </dev/null")
    XCTAssertEqual(status, "1")
    assertOneLineError(lines, mentions: "not a terminal")
  }
}
