// Drives the real katop binary in a real terminal: a private tmux server per test.
import Foundation
import XCTest

final class TmuxSession {
  let server = "katop-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
  let name = "k"
  static let tmuxPath = ["/usr/bin/tmux", "/usr/local/bin/tmux"].first { FileManager.default.isExecutableFile(atPath: $0) }

  static func require() throws -> String {
    guard let p = tmuxPath else { throw XCTSkip("tmux is not installed (apt-get install tmux)") }
    return p
  }

  /// Starts `command` in a detached session of the given size; the pane stays after it exits.
  init(width: Int, height: Int, command: String, env: [String: String] = [:]) throws {
    _ = try TmuxSession.require()
    var envArgs: [String] = []
    for (k, v) in env { envArgs += ["-e", "\(k)=\(v)"] }
    _ = try tmux(["-f", "/dev/null", "new-session", "-d", "-s", name, "-x", "\(width)", "-y", "\(height)"] + envArgs + ["sh"])
    _ = try tmux(["set-option", "-g", "remain-on-exit", "on"])
    _ = try tmux(["set-window-option", "-t", name, "remain-on-exit", "on"])
    _ = try tmux(["respawn-pane", "-k", "-t", name, "exec " + command])
  }

  @discardableResult
  func tmux(_ args: [String]) throws -> String {
    let r = try runProcess(TmuxSession.tmuxPath ?? "tmux", ["-L", server] + args, timeout: 20)
    if r.status != 0 { throw NSError(domain: "tmux", code: Int(r.status), userInfo: [NSLocalizedDescriptionKey: "tmux \(args): \(r.stderr)"]) }
    return r.stdout
  }

  func capture() throws -> String { try tmux(["capture-pane", "-p", "-t", name]) }
  func display(_ format: String) throws -> String {
    try tmux(["display-message", "-p", "-t", name, format]).trimmingCharacters(in: .whitespacesAndNewlines)
  }
  func send(_ keys: String...) throws { try tmux(["send-keys", "-t", name] + keys) }
  func sendLiteral(_ text: String) throws { try tmux(["send-keys", "-t", name, "-l", text]) }
  var panePid: Int32? { (try? display("#{pane_pid}")).flatMap { Int32($0) } }
  var isDead: Bool { (try? display("#{pane_dead}")) == "1" }
  var alternateOn: String { (try? display("#{alternate_on}")) ?? "?" }

  /// Polls the screen until `predicate` holds; returns the last screen.
  @discardableResult
  func waitFor(_ what: String, timeout: TimeInterval = 15, _ predicate: (String) -> Bool) throws -> String {
    let deadline = Date().addingTimeInterval(timeout)
    var screen = ""
    while Date() < deadline {
      screen = (try? capture()) ?? ""
      if predicate(screen) { return screen }
      Thread.sleep(forTimeInterval: 0.2)
    }
    XCTFail("timed out waiting for \(what); screen:\n\(screen)")
    return screen
  }

  func waitForExit(timeout: TimeInterval = 10) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
      if isDead { return true }
      Thread.sleep(forTimeInterval: 0.1)
    }
    return false
  }

  func kill() { _ = try? tmux(["kill-server"]) }
  deinit { kill() }
}
