// katop as an unprivileged user (nobody, via util-linux setpriv): it works, marks settings as
// assumed from the sysctls, shows the owners it may see, and says what root would add.
import Foundation
import XCTest

final class NonRootTests: XCTestCase {
  static let setpriv = ["/usr/bin/setpriv", "/bin/setpriv"].first { FileManager.default.isExecutableFile(atPath: $0) }
  static let asNobody = ["--reuid=65534", "--regid=65534", "--clear-groups"]
  var copies: String?

  override func tearDown() {
    if let dir = copies { try? FileManager.default.removeItem(atPath: dir) }
    copies = nil
  }

  /// setpriv's path; skips unless root with setpriv installed.
  func requireSetpriv() throws -> String {
    guard getuid() == 0 else { throw XCTSkip("needs root to switch to the nobody user") }
    guard let path = NonRootTests.setpriv else { throw XCTSkip("setpriv (util-linux) is not installed") }
    try Binaries.require(Binaries.katop)
    return path
  }

  /// Copies a built binary into a fresh 0755 directory: nobody may not be able to traverse the
  /// build tree (e.g. under a 0700 home).
  func copyForNobody(_ path: String) throws -> String {
    if copies == nil {
      var template = Array((NSTemporaryDirectory() + "/katop-nobody-XXXXXX").utf8CString)
      guard let dir = mkdtemp(&template) else { throw POSIXError(.EACCES) }
      copies = String(cString: dir)
      chmod(String(cString: dir), 0o755)
    }
    let target = (copies ?? "") + "/" + URL(fileURLWithPath: path).lastPathComponent
    try? FileManager.default.removeItem(atPath: target)
    try FileManager.default.copyItem(atPath: path, toPath: target)
    chmod(target, 0o755)
    return target
  }

  func testOnceJSONAsNobodyUsesSystemSettingsAndSaysWhatRootAdds() throws {
    let setpriv = try requireSetpriv()
    let katop = try copyForNobody(Binaries.katop)
    // Root's sockets (this test process), one with keepalive 45/7/3 set on the socket.
    let pair = try LoopbackPair()
    let ka = try pair.connectClient(keepalive: (45, 7, 3))
    try pair.connectClient()
    // A socket nobody owns: its owner stays visible to nobody.
    let nobodyFixture = try FixtureProcess(["--port", "0", "--connections", "2"], launcher: [setpriv] + NonRootTests.asNobody, binary: copyForNobody(Binaries.fixture))
    defer { nobodyFixture.stop() }

    let r = try runProcess(
      setpriv, NonRootTests.asNobody + [katop, "--once", "--json", "--port", "\(pair.port)", "--port", "\(nobodyFixture.port)"])
    XCTAssertEqual(r.status, 0, r.stderr)
    XCTAssertEqual(r.stderr, "")
    let doc = try jsonObject(r.stdout)
    let system = try XCTUnwrap(doc["system"] as? [String: Any])
    XCTAssertEqual(system["privileged"] as? Bool, false)
    let notes = system["notes"] as? [String] ?? []
    XCTAssertTrue(
      notes.contains("not root: settings assumed from sysctls, some owners hidden: run as root"), "\(notes)")
    let conns = try XCTUnwrap(doc["connections"] as? [[String: Any]])
    var rootRows = 0, nobodyOwned = 0
    for c in conns {
      let keepalive = try XCTUnwrap(c["keepalive"] as? [String: Any])
      let local = (c["local"] as? [String: Any])?["port"] as? Int, remote = (c["remote"] as? [String: Any])?["port"] as? Int
      if local == Int(pair.port) || remote == Int(pair.port) {
        rootRows += 1
        XCTAssertTrue(c["owner"] is NSNull, "root's socket must not show an owner to nobody: \(c)")
        // Not read: assumed from the sysctls, or (keepalive off per the kernel's timers) "timer".
        let connected = c["state"] as? String != "LISTEN"
        var expected = keepalive["enabled"] as? Bool == false && connected ? "timer" : "system"
        // The 45/7/3 socket's keepidle is inferred from its pending keepalive timer.
        if local == Int(ka.localPort) { expected = "inferred" }
        XCTAssertEqual(keepalive["source"] as? String, expected, "root's socket cannot be inspected: \(c)")
      } else if let owner = c["owner"] as? [String: Any] {
        // nobody's own process: its sockets may be inspected (pidfd_getfd on the same user).
        XCTAssertEqual(owner["pid"] as? Int, Int(nobodyFixture.pid))
        nobodyOwned += 1
      }
      if local == Int(ka.localPort) {
        // The kernel still reports the socket's own idle time through the timer; the interval
        // and count come from the sysctls.
        XCTAssertEqual(keepalive["enabled"] as? Bool, true)
        XCTAssertEqual(keepalive["idleSeconds"] as? Int, 45, "keepalive idle + timer expiry: \(keepalive)")
        XCTAssertEqual(keepalive["intervalSeconds"] as? Int, (doc["system"] as? [String: Any]).flatMap { ($0["keepalive"] as? [String: Any])?["intvl"] as? Int })
      }
    }
    XCTAssertEqual(rootRows, 5, "listener + 2 clients + 2 accepted: \(conns.count) rows")
    XCTAssertGreaterThanOrEqual(nobodyOwned, 3, "nobody's own fixture sockets show their owner")

    let table = try runProcess(setpriv, NonRootTests.asNobody + [katop, "--once", "--port", "\(pair.port)"])
    XCTAssertEqual(table.status, 0, table.stderr)
    XCTAssertTrue(table.stdout.contains("note: not root: settings assumed from sysctls"), table.stdout)
  }

  func testTUIAsNobodyExplainsRootInTheHeader() throws {
    let setpriv = try requireSetpriv()
    let katop = try copyForNobody(Binaries.katop)
    let t = try TmuxSession(
      width: 120, height: 30, command: ([setpriv] + NonRootTests.asNobody + [katop, "--interval", "0.5"]).joined(separator: " "))
    defer { t.kill() }
    let screen = try t.waitFor("the non-root note") { $0.contains("run as root") }
    let noteLine = screen.split(separator: "\n").firstIndex { $0.contains("run as root") } ?? 99
    XCTAssertLessThan(noteLine, 5, "the note belongs in the header:\n\(screen)")
    try t.send("q")
    XCTAssertTrue(t.waitForExit())
    XCTAssertEqual(t.alternateOn, "0")
  }
}

/// katop-fixture running as nobody (a listener and 2 connections), stopped by closing its stdin.
