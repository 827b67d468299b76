// `katop set-keepalive` and `katop kill` against loopback connections held by a child process
// (katop-fixture), checked from the child's own side (its getsockopt and recv on its fds), by ss,
// by katop's JSON, and by the syslog lines katop writes (to a datagram socket this test binds,
// KATOP_SYSLOG_SOCKET).
import Foundation
import XCTest

extension FixtureProcess {
  /// Sends `command` (`options`, `recv`) and returns the fixture's lines up to `end`.
  func ask(_ command: String) throws -> [String] {
    try stdin.fileHandleForWriting.write(contentsOf: Data((command + "\n").utf8))
    var lines: [String] = []
    var line = Data()
    while lines.count < 1000 {
      let byte = output.readData(ofLength: 1)
      if byte.isEmpty { break }
      if byte == Data("\n".utf8) {
        let text = String(decoding: line, as: UTF8.self)
        if text == "end" { return lines }
        lines.append(text)
        line.removeAll()
      } else {
        line.append(byte)
      }
    }
    throw NSError(domain: "katop-test", code: 4, userInfo: [NSLocalizedDescriptionKey: "fixture stopped answering '\(command)'"])
  }

  /// `keepalive=K idle=I intvl=V cnt=C user_timeout=U` per fd, as the fixture reads them.
  func options() throws -> [String] {
    try ask("options").map { String($0.drop { $0 != " " }.dropFirst()) }
  }

  /// `recv=...` per fd.
  func receives() throws -> [String] {
    try ask("recv").map { String($0.drop { $0 != " " }.dropFirst()) }
  }
}

final class ActionCommandTests: XCTestCase {
  func requireRoot() throws {
    guard getuid() == 0 else { throw XCTSkip("needs root (pidfd_getfd, SOCK_DESTROY)") }
    try Binaries.require(Binaries.katop)
  }

  func katop(_ args: [String], syslog: SyslogListener? = nil, extra: [String: String] = [:]) throws -> RunResult {
    var env = ProcessInfo.processInfo.environment
    env["KATOP_SYSLOG_SOCKET"] = syslog?.path ?? "/nonexistent/katop-test-syslog"
    for (k, v) in extra { env[k] = v }
    return try runProcess(Binaries.katop, args, env: env)
  }

  /// Connected sockets on `port` as `ss -tino` prints them (one line per socket, details joined).
  func ssLines(port: UInt16) throws -> [String] {
    let ss = try runProcess("/usr/bin/ss", ["-tino", "( sport = :\(port) or dport = :\(port) )"])
    XCTAssertEqual(ss.status, 0, ss.stderr)
    return ss.stdout.split(separator: "\n").dropFirst().filter { !$0.hasPrefix("\t") && !$0.hasPrefix(" ") }.map(String.init)
  }

  let untouched = "keepalive=0 idle=7200 intvl=75 cnt=9 user_timeout=0"

  func testSetKeepaliveChangesTheChildsOwnSockets() throws {
    try requireRoot()
    let fixture = try FixtureProcess(["--port", "0", "--connections", "3"])
    defer { fixture.stop() }
    let before = try fixture.options()
    XCTAssertEqual(before.count, 6)
    XCTAssertTrue(before.allSatisfy { $0.hasPrefix("keepalive=0 ") }, "\(before)")
    let syslog = try SyslogListener()

    let run = try katop(["set-keepalive", "--pid", "\(fixture.pid)", "--idle", "60", "--interval", "10", "--count", "4", "--yes"], syslog: syslog)
    XCTAssertEqual(run.status, 0, run.stdout + run.stderr)
    XCTAssertTrue(run.stdout.contains("plan: set keepalive 60/10/4 on 6 sockets of katop-fixture (pid \(fixture.pid))"), run.stdout)
    XCTAssertTrue(run.stdout.contains("6 of 6 sockets changed"), run.stdout)
    // The child's own getsockopt on its own fds.
    XCTAssertEqual(try fixture.options(), Array(repeating: "keepalive=1 idle=60 intvl=10 cnt=4 user_timeout=0", count: 6))
    // The kernel armed a keepalive timer on each, for about 60 s.
    let ss = try ssLines(port: fixture.port)
    XCTAssertEqual(ss.count, 6, "\(ss)")
    for line in ss {
      XCTAssertTrue(line.range(of: #"timer:\(keepalive,(59|60)sec,0\)"#, options: .regularExpression) != nil, line)
    }
    // katop's own view: read from the socket, the new values.
    let json = try katop(["--once", "--json", "--port", "\(fixture.port)"])
    let connections = try XCTUnwrap(try jsonObject(json.stdout)["connections"] as? [[String: Any]])
    let connected = connections.filter { $0["state"] as? String == "ESTABLISHED" }
    XCTAssertEqual(connected.count, 6)
    for c in connected {
      let k = try XCTUnwrap(c["keepalive"] as? [String: Any])
      XCTAssertEqual(k["source"] as? String, "socket")
      XCTAssertEqual(k["enabled"] as? Bool, true)
      XCTAssertEqual([k["idleSeconds"], k["intervalSeconds"], k["probes"]].map { $0 as? Int }, [60, 10, 4])
    }
    // One syslog line per socket, facility auth, naming who, what and before -> after.
    let logged = syslog.lines()
    XCTAssertEqual(logged.count, 6, "\(logged)")
    for line in logged {
      XCTAssertTrue(line.hasPrefix("<37>"), line)  // LOG_AUTH | LOG_NOTICE
      XCTAssertTrue(line.contains(" katop[") && line.contains("]: set-keepalive by uid 0 (root"), line)
      XCTAssertTrue(line.contains("pid \(fixture.pid) (katop-fixture)"), line)
      XCTAssertTrue(line.hasSuffix("keepalive off 7200/75/9 user-timeout 0ms -> on 60/10/4 user-timeout 0ms"), line)
    }

    // Again with TCP_USER_TIMEOUT and the rest from the recommendation (aws: 300/30/5).
    let second = try katop(["set-keepalive", "--port", "\(fixture.port)", "--user-timeout", "45000", "--yes", "--json"])
    XCTAssertEqual(second.status, 0, second.stderr)
    let results = try XCTUnwrap(try jsonObject(second.stdout)["results"] as? [[String: Any]])
    XCTAssertEqual(results.count, 6)
    XCTAssertEqual(Set(results.map { $0["status"] as? String }), ["changed"])
    XCTAssertEqual((results[0]["before"] as? [String: Any])?["idleSeconds"] as? Int, 60)
    XCTAssertEqual((results[0]["after"] as? [String: Any])?["userTimeoutMs"] as? Int, 45_000)
    XCTAssertEqual(try fixture.options(), Array(repeating: "keepalive=1 idle=300 intvl=30 cnt=5 user_timeout=45000", count: 6))
  }

  func testDryRunAndAMissingYesChangeNothing() throws {
    try requireRoot()
    let fixture = try FixtureProcess(["--port", "0", "--connections", "2"])
    defer { fixture.stop() }
    let syslog = try SyslogListener()
    let args = ["set-keepalive", "--pid", "\(fixture.pid)", "--idle", "60", "--interval", "10", "--count", "4"]
    let dry = try katop(args + ["--dry-run"], syslog: syslog)
    XCTAssertEqual(dry.status, 0, dry.stderr)
    XCTAssertTrue(dry.stdout.contains("plan: set keepalive 60/10/4 on 4 sockets"), dry.stdout)
    XCTAssertTrue(dry.stdout.contains("dry run: nothing changed"), dry.stdout)
    XCTAssertEqual(try fixture.options(), Array(repeating: untouched, count: 4))
    let noYes = try katop(args, syslog: syslog)
    XCTAssertEqual(noYes.status, 64)
    XCTAssertEqual(noYes.stderr.split(separator: "\n").count, 1, noYes.stderr)
    XCTAssertTrue(noYes.stderr.contains("add --yes"), noYes.stderr)
    XCTAssertTrue(noYes.stdout.contains("would set keepalive 60/10/4"), noYes.stdout)
    let dryJSON = try katop(["kill", "--port", "\(fixture.port)", "--dry-run", "--json"], syslog: syslog)
    XCTAssertEqual(dryJSON.status, 0, dryJSON.stderr)
    let results = try XCTUnwrap(try jsonObject(dryJSON.stdout)["results"] as? [[String: Any]])
    XCTAssertEqual(results.map { $0["status"] as? String }, Array(repeating: "planned", count: 4))
    XCTAssertEqual(try fixture.options(), Array(repeating: untouched, count: 4))
    XCTAssertEqual(try fixture.receives(), Array(repeating: "recv=EAGAIN", count: 4))
    XCTAssertEqual(syslog.lines(), [], "nothing changed, nothing logged")
  }

  func testKillEndsEveryConnectionOnThePortAndIdleOverSparesFreshOnes() throws {
    try requireRoot()
    let fixture = try FixtureProcess(["--port", "0", "--connections", "3"])
    defer { fixture.stop() }
    let syslog = try SyslogListener()
    let spared = try katop(["kill", "--port", "\(fixture.port)", "--idle-over", "3600", "--yes"], syslog: syslog)
    XCTAssertEqual(spared.status, 0, spared.stderr)
    XCTAssertTrue(spared.stdout.contains("no connections selected"), spared.stdout)
    XCTAssertEqual(try fixture.receives(), Array(repeating: "recv=EAGAIN", count: 6))
    XCTAssertEqual(try ssLines(port: fixture.port).count, 6)

    let run = try katop(["kill", "--port", "\(fixture.port)", "--yes", "--json"], syslog: syslog)
    XCTAssertEqual(run.status, 0, run.stderr)
    let results = try XCTUnwrap(try jsonObject(run.stdout)["results"] as? [[String: Any]])
    XCTAssertEqual(results.count, 6)
    // Both ends of each loopback connection are selected: the first one's RST ends the second.
    XCTAssertEqual(results.filter { $0["status"] as? String == "changed" }.count, 3, run.stdout)
    XCTAssertEqual(Set(results.compactMap { $0["method"] as? String }), ["SOCK_DESTROY"])
    let seen = try fixture.receives()
    XCTAssertEqual(seen.count, 6)
    for r in seen { XCTAssertTrue(["recv=ECONNABORTED", "recv=ECONNRESET", "recv=EOF"].contains(r), "\(seen)") }
    XCTAssertEqual(seen.filter { $0 == "recv=ECONNABORTED" }.count, 3, "\(seen)")
    XCTAssertEqual(try ssLines(port: fixture.port), [])
    let logged = syslog.lines()
    XCTAssertEqual(logged.count, 6, "\(logged)")
    XCTAssertEqual(logged.filter { $0.contains("]: kill by uid 0") && $0.hasSuffix(": ended (SOCK_DESTROY)") }.count, 3, "\(logged)")
  }

  func testReadonlyAndNobodyAreRefusedWithOneLine() throws {
    try requireRoot()
    let fixture = try FixtureProcess(["--port", "0", "--connections", "1"])
    defer { fixture.stop() }
    let syslog = try SyslogListener()
    for args in [["set-keepalive", "--pid", "\(fixture.pid)", "--yes", "--readonly"], ["kill", "--port", "\(fixture.port)", "--yes", "--readonly"]] {
      let run = try katop(args, syslog: syslog)
      XCTAssertEqual(run.status, 1)
      XCTAssertEqual(run.stderr, "katop: \(args[0]) refused: --readonly allows no action\n")
      XCTAssertEqual(run.stdout, "")
    }
    guard let setpriv = NonRootTests.setpriv else { throw XCTSkip("setpriv (util-linux) is not installed") }
    // A copy nobody may run (the build tree may not be traversable by nobody).
    var template = Array((NSTemporaryDirectory() + "/katop-actions-XXXXXX").utf8CString)
    let dir = try XCTUnwrap(mkdtemp(&template).map { String(cString: $0) })
    defer { try? FileManager.default.removeItem(atPath: dir) }
    chmod(dir, 0o755)
    let copy = dir + "/katop"
    try FileManager.default.copyItem(atPath: Binaries.katop, toPath: copy)
    let nobody = [setpriv] + NonRootTests.asNobody + [copy]
    let set = try runProcess(nobody[0], Array(nobody.dropFirst()) + ["set-keepalive", "--pid", "\(fixture.pid)", "--yes"])
    XCTAssertEqual(set.status, 1, set.stderr)
    XCTAssertEqual(
      set.stderr, "katop: set-keepalive on pid \(fixture.pid) (uid 0) needs CAP_SYS_PTRACE; katop runs as uid 65534 without it\n")
    let kill = try runProcess(nobody[0], Array(nobody.dropFirst()) + ["kill", "--port", "\(fixture.port)", "--yes"])
    XCTAssertEqual(kill.status, 1, kill.stderr)
    XCTAssertEqual(kill.stderr, "katop: kill needs CAP_NET_ADMIN (sock_diag SOCK_DESTROY); katop runs as uid 65534 without it\n")
    XCTAssertEqual(try fixture.options(), Array(repeating: untouched, count: 2))
    XCTAssertEqual(try fixture.receives(), Array(repeating: "recv=EAGAIN", count: 2))
    XCTAssertEqual(syslog.lines(), [])
  }

  func testAnOwnerExitingMidActionIsReportedPerSocket() throws {
    try requireRoot()
    let fixture = try FixtureProcess(["--port", "0", "--connections", "2"])
    defer { fixture.stop() }
    let syslog = try SyslogListener()
    let pid = fixture.pid
    // katop prints its plan, then waits (KATOP_TEST_ACTION_DELAY_MS) before acting: the owner is
    // killed as soon as the plan shows.
    let katop = Process()
    katop.executableURL = URL(fileURLWithPath: Binaries.katop)
    katop.arguments = ["set-keepalive", "--pid", "\(pid)", "--idle", "60", "--interval", "10", "--count", "4", "--yes"]
    var env = ProcessInfo.processInfo.environment
    env["KATOP_SYSLOG_SOCKET"] = syslog.path
    env["KATOP_TEST_ACTION_DELAY_MS"] = "3000"
    env["SWIFT_BACKTRACE"] = "enable=no"
    katop.environment = env
    let out = Pipe(), err = Pipe()
    katop.standardOutput = out
    katop.standardError = err
    try katop.run()
    var stdout = Data()
    var killed = false
    while true {
      let chunk = out.fileHandleForReading.availableData
      if chunk.isEmpty { break }
      stdout.append(chunk)
      if !killed && String(decoding: stdout, as: UTF8.self).contains("plan: ") {
        XCTAssertEqual(kill(pid, SIGKILL), 0)
        killed = true
      }
    }
    katop.waitUntilExit()
    XCTAssertTrue(killed, "no plan shown")
    let run = RunResult(
      status: katop.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
      stderr: String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
    XCTAssertEqual(run.status, 1, run.stdout + run.stderr)
    XCTAssertTrue(run.stdout.contains("plan: set keepalive 60/10/4 on 4 sockets"), run.stdout)
    XCTAssertEqual(run.stdout.components(separatedBy: "not changed: process \(pid) gone").count - 1, 4, run.stdout)
    XCTAssertEqual(run.stderr, "katop: 4 of 4 sockets not changed\n")
    let logged = syslog.lines()
    XCTAssertEqual(logged.count, 4)
    XCTAssertTrue(logged.allSatisfy { $0.hasPrefix("<36>") && $0.hasSuffix("not changed: process \(pid) gone") }, "\(logged)")
  }

  func testBadInputIsOneLineAndExit64() throws {
    try Binaries.require(Binaries.katop)
    let cases: [[String]] = [
      ["kill", "--yes"],
      ["set-keepalive", "--port", "1", "--idle", "0"],
      ["set-keepalive", "--port", "1", "--count", "128"],
      ["kill", "--remote", "300.1.1.1/8"],
      ["kill", "--risk", "no-such-risk"],
      ["kill", "--port", "1", "--yes", "--dry-run"],
      ["kill", "--idle-over", "-5"],
      ["set-keepalive", "--pid", "abc"],
    ]
    for args in cases {
      let run = try katop(args)
      XCTAssertEqual(run.status, 64, "\(args): \(run.stderr)")
      XCTAssertEqual(run.stderr.split(separator: "\n").count, 1, "\(args): \(run.stderr)")
      XCTAssertTrue(run.stderr.hasPrefix("katop: "), run.stderr)
    }
  }
}
