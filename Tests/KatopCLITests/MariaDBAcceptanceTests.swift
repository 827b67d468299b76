// Issue 11 acceptance: a real MariaDB on 127.0.0.1:3306 with three `mariadb` clients and a
// python client; katop at 80x24, `p 3306 Enter`: every row names its owner's command; `g`
// groups them by process with the right counts. KATOP_SCREENS_FILE=PATH saves both screens.
import Foundation
import XCTest

final class MariaDBAcceptanceTests: XCTestCase {
  static let server = "/usr/sbin/mariadbd"
  static let installDB = "/usr/bin/mariadb-install-db"
  static let client = "/usr/bin/mariadb"
  static let python = ["/usr/bin/python3", "/usr/local/bin/python3"].first { FileManager.default.isExecutableFile(atPath: $0) }

  /// A process started with its streams on /dev/null (or a log file), ended by `stop`.
  final class Child {
    let process = Process()
    init(_ path: String, _ args: [String], log: String? = nil) throws {
      process.executableURL = URL(fileURLWithPath: path)
      process.arguments = args
      process.standardInput = FileHandle.nullDevice
      let out = log.flatMap { FileManager.default.createFile(atPath: $0, contents: nil) ? FileHandle(forWritingAtPath: $0) : nil }
      process.standardOutput = out ?? FileHandle.nullDevice
      process.standardError = out ?? FileHandle.nullDevice
      try process.run()
    }
    var pid: Int32 { process.processIdentifier }
    func stop() {
      if process.isRunning { process.terminate() }
      process.waitUntilExit()
    }
  }

  func testOwnersAndGroupsOfARealMariaDBAt80x24() throws {
    for path in [Self.server, Self.installDB, Self.client] where !FileManager.default.isExecutableFile(atPath: path) {
      throw XCTSkip("\(path) is not installed (apt-get install mariadb-server mariadb-client)")
    }
    guard let python = Self.python else { throw XCTSkip("python3 is not installed") }
    try Binaries.require(Binaries.katop)
    _ = try TmuxSession.require()
    guard portIsFree(3306) else { throw XCTSkip("127.0.0.1:3306 is in use: the test needs its own MariaDB there") }

    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("katop-mariadb-\(getpid())").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let user = getuid() == 0 ? "root" : (ProcessInfo.processInfo.environment["USER"] ?? "nobody")
    let install = try runProcess(
      Self.installDB,
      ["--no-defaults", "--datadir=\(dir)/data", "--user=\(user)", "--auth-root-authentication-method=normal", "--skip-test-db"],
      timeout: 120)
    XCTAssertEqual(install.status, 0, "mariadb-install-db: \(install.stderr)")
    let socketPath = dir + "/mysqld.sock"
    let server = try Child(
      Self.server,
      [
        "--no-defaults", "--datadir=\(dir)/data", "--socket=\(socketPath)", "--port=3306", "--bind-address=127.0.0.1",
        "--skip-grant-tables", "--user=\(user)", "--pid-file=\(dir)/mysqld.pid", "--skip-log-bin",
      ], log: dir + "/server.log")
    var clients: [Child] = []
    defer {
      for c in clients { c.stop() }
      server.stop()
    }
    // Ready once a client gets an answer over the unix socket (no TCP probe left in TIME-WAIT).
    let deadline = Date().addingTimeInterval(60)
    var ready = false
    while Date() < deadline && server.process.isRunning {
      if (try? runProcess(Self.client, ["--no-defaults", "--socket=\(socketPath)", "-uroot", "-e", "select 1"], timeout: 10))?.status == 0 {
        ready = true
        break
      }
      Thread.sleep(forTimeInterval: 0.5)
    }
    let serverLog = (try? String(contentsOfFile: dir + "/server.log", encoding: .utf8)) ?? ""
    XCTAssertTrue(ready, "mariadbd did not come up:\n\(serverLog.suffix(2000))")
    guard ready else { return }

    for _ in 0..<3 {
      clients.append(try Child(Self.client, ["--no-defaults", "-h127.0.0.1", "-P3306", "-uroot", "-e", "select sleep(600)"]))
    }
    clients.append(
      try Child(python, ["-c", "import socket, time\ns = socket.create_connection(('127.0.0.1', 3306))\ntime.sleep(600)"]))

    let t = try TmuxSession(width: 80, height: 24, command: Binaries.katop)
    defer { t.kill() }
    try t.waitFor("the first table") { $0.contains("Local") }
    try t.send("p")
    try t.sendLiteral("3306")
    try t.send("Enter")
    let pythonCommand = URL(fileURLWithPath: python).lastPathComponent
    let commands = ["mariadbd", "mariadb", pythonCommand]
    // 4 accepted connections and the listener (mariadbd), 3 mariadb clients, 1 python client.
    func tableRows(_ s: String) -> [Substring] {
      s.split(separator: "\n").filter { $0.contains("ESTAB") || $0.contains("LISTEN") }
    }
    let table = try t.waitFor("9 rows for port 3306, each with its owner") { s in
      let rows = tableRows(s)
      return rows.count == 9 && rows.allSatisfy { row in commands.contains { row.contains("/\($0)") } }
    }
    let rows = tableRows(table)
    XCTAssertEqual(rows.filter { $0.contains("/mariadbd") }.count, 5, table)
    XCTAssertEqual(rows.filter { $0.contains("/mariadb ") }.count, 3, table)
    XCTAssertEqual(rows.filter { $0.contains("/\(pythonCommand)") }.count, 1, table)
    XCTAssertTrue(table.split(separator: "\n").allSatisfy { $0.count <= 80 })

    try t.send("g")
    func groupRow(_ s: String, _ pid: Int32, _ command: String) -> Substring? {
      s.split(separator: "\n").first { $0.hasPrefix("\(pid)/\(command) ") }
    }
    func count(_ row: Substring?) -> Int? { row?.split(separator: " ").dropFirst().first.flatMap { Int($0) } }
    let grouped = try t.waitFor("one row per process") { s in
      count(groupRow(s, server.pid, "mariadbd")) == 5
        && clients.prefix(3).allSatisfy { count(groupRow(s, $0.pid, "mariadb")) == 1 }
        && count(groupRow(s, clients[3].pid, pythonCommand)) == 1
        // The whole frame drawn (a capture can catch ncurses half-way through a redraw, the
        // flat table's rows still below the groups).
        && s.split(separator: "\n").filter { line in commands.contains { line.contains("/\($0)") } }.count == 5
    }
    XCTAssertTrue(grouped.contains("group process"), grouped)
    XCTAssertEqual(grouped.split(separator: "\n").filter { line in commands.contains { line.contains("/\($0)") } }.count, 5, grouped)

    if let path = ProcessInfo.processInfo.environment["KATOP_SCREENS_FILE"] {
      let text = "katop at 80x24 after `p 3306 Enter` (MariaDB on 127.0.0.1:3306, 3 mariadb clients, 1 python client):\n\n"
        + table + "\nthen `g` (group by process):\n\n" + grouped
      try FileManager.default.createDirectory(
        atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path, withIntermediateDirectories: true)
      try text.write(toFile: path, atomically: true, encoding: .utf8)
    }
    print("MariaDB acceptance screens:\n\(table)\n\(grouped)")
    try t.send("q")
    XCTAssertTrue(t.waitForExit())
  }

  func portIsFree(_ port: UInt16) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
    addr.sin_port = port.bigEndian
    return withUnsafePointer(to: &addr) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    } == 0
  }
}
