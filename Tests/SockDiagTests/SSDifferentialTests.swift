import Foundation
import CKatopNetlink
import Glibc
import KatopModel
import XCTest

@testable import SockDiag

/// Compares the collector with iproute2's `ss -tino` on the same >= 6,000 sockets.
final class SSDifferentialTests: XCTestCase {
  struct SSLine {
    var state: TCPState
    var timer: TimerKind
    var timerCount: Int
  }

  static func ssState(_ name: Substring) -> TCPState? {
    if name == "ESTAB" { return .established }
    if name == "UNCONN" { return .close }
    let squashed = name.replacingOccurrences(of: "-", with: "")
    return TCPState.allCases.first { $0.kernelName.replacingOccurrences(of: "_", with: "") == squashed }
  }

  /// Socket lines of `ss -tinoaH` keyed by "local remote"; info lines (indented) are skipped.
  static func parseSS(_ text: String) -> [String: SSLine] {
    var result: [String: SSLine] = [:]
    for line in text.split(separator: "\n") where !(line.first?.isWhitespace ?? true) {
      let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
      guard fields.count >= 5, let state = ssState(fields[0]) else { continue }
      var timer = TimerKind.off
      var count = 0
      if let t = fields.first(where: { $0.hasPrefix("timer:(") }) {
        let parts = t.dropFirst("timer:(".count).dropLast().split(separator: ",")
        timer = TimerKind.allCases.first { $0.ssName == parts.first.map(String.init) } ?? .off
        count = parts.last.flatMap { Int($0) } ?? -1
      }
      result["\(fields[3]) \(fields[4])"] = SSLine(state: state, timer: timer, timerCount: count)
    }
    return result
  }

  static func text(_ e: Endpoint) -> String {
    let port = e.port == 0 ? "*" : "\(e.port)"
    if case .v4(let a, let b, let c, let d) = e.address { return "\(a).\(b).\(c).\(d):\(port)" }
    return "?:\(e.port)"
  }

  func testStateTimerAndCountAgreeWithSS() throws {
    let ss = "/usr/bin/ss"
    guard FileManager.default.isExecutableFile(atPath: ss) else { throw XCTSkip("ss (iproute2) not installed") }
    let sockets = try LoopbackSockets()
    defer { sockets.closeAll() }
    for i in 0..<3000 {
      let pair = try sockets.connectPair()
      if i % 3 == 0 { try sockets.setKeepalive(pair.client, idle: 300 + Int32(i % 50), interval: 10, count: 4) }
      if i % 100 == 99 { sockets.closeEarly(pair.server) }  // 30 CLOSE_WAIT / FIN_WAIT2 pairs
    }
    usleep(300_000)  // let delayed ACKs expire so timers are stable

    let collector = Collector()
    let snapshot = try collector.collect(CollectRequest(ports: [sockets.port], owners: false, socketOptions: false))
    let process = Process()
    let pipe = Pipe()
    process.executableURL = URL(fileURLWithPath: ss)
    process.arguments = ["-tinoaH", "( sport = :\(sockets.port) or dport = :\(sockets.port) )"]
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    XCTAssertEqual(process.terminationStatus, 0)
    let fromSS = SSDifferentialTests.parseSS(String(decoding: data, as: UTF8.self))

    XCTAssertEqual(snapshot.sockets.count, 6001)
    XCTAssertEqual(fromSS.count, snapshot.sockets.count)
    var mismatches: [String] = []
    for record in snapshot.sockets {
      let key = "\(SSDifferentialTests.text(record.local)) \(SSDifferentialTests.text(record.remote))"
      guard let line = fromSS[key] else {
        mismatches.append("\(key): missing from ss")
        continue
      }
      if line.state != record.state || line.timer != record.timer || line.timerCount != Int(record.timerCount) {
        mismatches.append(
          "\(key): ss \(line.state) \(line.timer) \(line.timerCount), katop \(record.state) \(record.timer) \(record.timerCount)")
      }
    }
    XCTAssertTrue(mismatches.isEmpty, "\(mismatches.count) mismatches, first: \(mismatches.prefix(5))")
    XCTAssertEqual(snapshot.sockets.filter { $0.timer == .keepalive }.count, 1000)
    XCTAssertEqual(snapshot.sockets.filter { $0.state == .closeWait }.count, 30)
    try settingsAgreeWithGetsockopt(sockets)
  }

  /// The same sockets with settings (root): each one katop read matches getsockopt on this
  /// process's own fd, and each one it did not read because the timers show keepalive off
  /// (source "timer") really has SO_KEEPALIVE 0.
  func settingsAgreeWithGetsockopt(_ sockets: LoopbackSockets) throws {
    guard getuid() == 0 else { throw XCTSkip("reading socket options of a process needs root") }
    var fdByInode: [UInt32: Int32] = [:]
    for fd in sockets.fds {
      var st = stat()
      if fstat(fd, &st) == 0 { fdByInode[UInt32(truncatingIfNeeded: st.st_ino)] = fd }
    }
    func option(_ fd: Int32, _ level: Int32, _ name: Int32) -> Int32 {
      var value: Int32 = -1
      var length = socklen_t(MemoryLayout<Int32>.size)
      return getsockopt(fd, level, name, &value, &length) == 0 ? value : -1
    }
    let snapshot = try Collector().collect(CollectRequest(ports: [sockets.port]))
    var read = 0, knownOff = 0, wrong: [String] = []
    let tcp = Int32(IPPROTO_TCP)
    for record in snapshot.sockets where record.state != .listen {
      guard let fd = fdByInode[record.inode] else { continue }
      let keepalive = option(fd, SOL_SOCKET, SO_KEEPALIVE)
      if let o = snapshot.options[record.inode] {
        read += 1
        let kernel = SocketOptions(
          keepalive: keepalive != 0, idleSeconds: Int(option(fd, tcp, katop_TCP_KEEPIDLE)),
          intervalSeconds: Int(option(fd, tcp, katop_TCP_KEEPINTVL)), probes: Int(option(fd, tcp, katop_TCP_KEEPCNT)),
          userTimeoutMs: Int(option(fd, tcp, katop_TCP_USER_TIMEOUT)))
        if o != kernel { wrong.append("\(record.local.port): katop \(o), getsockopt \(kernel)") }
      } else if KeepaliveMath.state(for: record, options: nil, system: snapshot.system).source == .timer {
        knownOff += 1
        if keepalive != 0 { wrong.append("\(record.local.port): source timer but SO_KEEPALIVE \(keepalive)") }
      }
    }
    XCTAssertTrue(wrong.isEmpty, "\(wrong.count) disagreements, first: \(wrong.prefix(3))")
    XCTAssertEqual(read, 1000, "the 1000 keepalive clients are read")
    XCTAssertGreaterThanOrEqual(knownOff, 4900, "the others are known off without a read")
  }
}
