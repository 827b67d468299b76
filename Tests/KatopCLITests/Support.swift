// Helpers for tests that run the built katop binary: finding it, running it, fixture processes.
import Foundation
import XCTest

enum Binaries {
  /// The folder holding the built products (next to the running test bundle).
  static var productsDir: URL {
    let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
    // .../debug/katopPackageTests.xctest is a file on Linux; walk up until katop sits beside us.
    for _ in 0..<3 where !FileManager.default.fileExists(atPath: dir.appendingPathComponent("katop").path) {
      dir = dir.deletingLastPathComponent()
    }
    return dir
  }
  static var katop: String { productsDir.appendingPathComponent("katop").path }
  static var fixture: String { productsDir.appendingPathComponent("katop-fixture").path }

  static func require(_ path: String) throws {
    guard FileManager.default.isExecutableFile(atPath: path) else {
      throw XCTSkip("\(path) is not built: run `swift build` before `swift test`")
    }
  }
}

struct RunResult {
  var status: Int32
  var stdout: String
  var stderr: String
}

/// Runs a program to completion with a timeout, capturing both streams into temporary files
/// (pipes would stay open in daemons the program leaves behind, such as a tmux server).
/// posix_spawn + waitpid rather than Foundation.Process: Process sometimes never noticed that a
/// short-lived child (the tmux client) had exited, leaving it a zombie and the test hung.
func runProcess(_ path: String, _ args: [String], env: [String: String]? = nil, timeout: TimeInterval = 60) throws -> RunResult {
  var environment = env ?? ProcessInfo.processInfo.environment
  environment["SWIFT_BACKTRACE"] = "enable=no"
  let dir = FileManager.default.temporaryDirectory
  let tag = "katop-test-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
  let outPath = dir.appendingPathComponent(tag + ".out").path, errPath = dir.appendingPathComponent(tag + ".err").path
  defer {
    unlink(outPath)
    unlink(errPath)
  }
  var actions = posix_spawn_file_actions_t()
  posix_spawn_file_actions_init(&actions)
  defer { posix_spawn_file_actions_destroy(&actions) }
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
  posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
  posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
  // The child must not inherit the test's sockets (katop would see itself as their owner).
  markDescriptorsCloseOnExec()
  let argv = ([path] + args).map { strdup($0) } + [nil]
  let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
  defer {
    argv.forEach { free($0) }
    envp.forEach { free($0) }
  }
  var pid: pid_t = 0
  let rc = posix_spawn(&pid, path, &actions, nil, argv, envp)
  guard rc == 0 else {
    throw NSError(domain: "katop-test", code: Int(rc), userInfo: [NSLocalizedDescriptionKey: "cannot run \(path): \(String(cString: strerror(rc)))"])
  }
  let deadline = Date().addingTimeInterval(timeout)
  var status: Int32 = 0
  while true {
    let r = waitpid(pid, &status, WNOHANG)
    if r == pid { break }
    if r < 0 && errno != EINTR { break }
    if Date() > deadline {
      kill(pid, SIGKILL)
      _ = waitpid(pid, &status, 0)
      throw NSError(domain: "katop-test", code: 1, userInfo: [NSLocalizedDescriptionKey: "\(path) \(args) timed out"])
    }
    usleep(2000)
  }
  // WIFEXITED / WEXITSTATUS / WTERMSIG by hand (the macros do not import).
  let exitStatus = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
  return RunResult(
    status: exitStatus,
    stdout: String(decoding: FileManager.default.contents(atPath: outPath) ?? Data(), as: UTF8.self),
    stderr: String(decoding: FileManager.default.contents(atPath: errPath) ?? Data(), as: UTF8.self))
}

/// Sets FD_CLOEXEC on every descriptor above stderr (posix_spawn children inherit the rest).
func markDescriptorsCloseOnExec() {
  guard let dir = opendir("/proc/self/fd") else { return }
  defer { closedir(dir) }
  var fds: [Int32] = []
  while let entry = readdir(dir) {
    let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    if let fd = Int32(name), fd > 2 { fds.append(fd) }
  }
  for fd in fds {
    let flags = fcntl(fd, F_GETFD)
    if flags >= 0 { _ = fcntl(fd, F_SETFD, flags | FD_CLOEXEC) }
  }
}

/// A `katop-fixture` process holding loopback connections until it is stopped.
final class FixtureProcess {
  let process = Process()
  let stdin = Pipe()
  let pid: Int32
  let port: UInt16
  /// The fixture's stdout after its `ready` line (answers to `ask`).
  let output: FileHandle

  /// Starts `katop-fixture ARGS`; with `launcher` (e.g. setpriv and its options) and `binary`,
  /// starts `LAUNCHER BINARY ARGS` instead.
  init(_ args: [String], launcher: [String] = [], binary: String = Binaries.fixture) throws {
    try Binaries.require(binary)
    if let program = launcher.first {
      process.executableURL = URL(fileURLWithPath: program)
      process.arguments = Array(launcher.dropFirst()) + [binary] + args
      process.environment = ["SWIFT_BACKTRACE": "enable=no", "PATH": "/usr/bin:/bin"]
    } else {
      process.executableURL = URL(fileURLWithPath: binary)
      process.arguments = args
      var env = ProcessInfo.processInfo.environment
      env["SWIFT_BACKTRACE"] = "enable=no"
      process.environment = env
    }
    let out = Pipe()
    process.standardOutput = out
    process.standardInput = stdin
    try process.run()
    // First line: "ready pid=PID port=P".
    var line = Data()
    let handle = out.fileHandleForReading
    output = handle
    while true {
      let byte = handle.readData(ofLength: 1)
      if byte.isEmpty || byte == Data("\n".utf8) { break }
      line.append(byte)
    }
    let text = String(decoding: line, as: UTF8.self)
    var fields: [String: String] = [:]
    for part in text.split(separator: " ") {
      let kv = part.split(separator: "=", maxSplits: 1)
      if kv.count == 2 { fields[String(kv[0])] = String(kv[1]) }
    }
    guard text.hasPrefix("ready"), let pid = fields["pid"].flatMap(Int32.init), let port = fields["port"].flatMap(UInt16.init) else {
      process.terminate()
      throw NSError(domain: "katop-test", code: 2, userInfo: [NSLocalizedDescriptionKey: "fixture said '\(text)'"])
    }
    self.pid = pid
    self.port = port
  }

  func stop() {
    try? stdin.fileHandleForWriting.close()
    // SIGTERM to the fixture itself (a launcher such as setpriv execs it, so the pids agree).
    if process.isRunning { kill(pid, SIGTERM) }
    process.waitUntilExit()
  }

  deinit { stop() }
}

/// A free loopback port (bound then released).
func freePort() -> UInt16 {
  let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
  defer { close(fd) }
  var addr = sockaddr_in()
  addr.sin_family = sa_family_t(AF_INET)
  addr.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
  addr.sin_port = 0
  var len = socklen_t(MemoryLayout<sockaddr_in>.size)
  _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
  _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
  return UInt16(bigEndian: addr.sin_port)
}

func jsonObject(_ text: String) throws -> [String: Any] {
  let obj = try JSONSerialization.jsonObject(with: Data(text.utf8))
  guard let dict = obj as? [String: Any] else { throw NSError(domain: "katop-test", code: 3) }
  return dict
}
