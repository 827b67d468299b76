// Issue 5: connection churn. Over 1,000 loopback connections opened and closed per second while
// `katop --once --json` runs again and again, then while the TUI runs in tmux.
import Foundation
import Synchronization
import XCTest

func monotonicNowMs() -> UInt64 {
  var ts = timespec()
  clock_gettime(CLOCK_MONOTONIC, &ts)
  return UInt64(ts.tv_sec) * 1000 + UInt64(ts.tv_nsec) / 1_000_000
}

/// Opens and closes loopback connections to its own listener on a background thread, keeping
/// the last `live` of them open, and remembers when each client port was in use.
final class ConnectionChurn: Sendable {
  private struct Shared {
    var running = true
    var finished = false
    /// Client port -> (opened before, closed after) in monotonic ms; nil = still open.
    var history: [UInt16: [(opened: UInt64, closed: UInt64?)]] = [:]
    var opened = 0
    var closed = 0
    var failures = 0
  }
  /// Holds the listener (LoopbackPair closes it on deinit); the churn thread uses only `listener`.
  private let pair: Mutex<LoopbackPair>
  let listener: Int32
  let port: UInt16
  let live: Int
  private let shared = Mutex(Shared())
  var opened: Int { shared.withLock { $0.opened } }
  var closed: Int { shared.withLock { $0.closed } }
  var failures: Int { shared.withLock { $0.failures } }

  /// Connections per second aimed at (paced so the test does not hog a shared core).
  let rate: Int

  init(live: Int = 32, rate: Int = 3000) throws {
    self.rate = rate
    let pair = try LoopbackPair()
    listener = pair.listener
    port = pair.port
    self.pair = Mutex(pair)
    self.live = live
  }

  func start() {
    let thread = Thread { [self] in loop() }
    thread.start()
  }

  /// Stops the churn, closes everything and returns after the thread has finished.
  func stop() {
    shared.withLock { $0.running = false }
    while !shared.withLock({ $0.finished }) { usleep(1000) }
  }

  /// True when a connection from `clientPort` was open at some moment in [from, to].
  func wasOpen(clientPort: UInt16, from: UInt64, to: UInt64) -> Bool {
    shared.withLock { s in
      (s.history[clientPort] ?? []).contains { $0.opened <= to && ($0.closed ?? UInt64.max) >= from }
    }
  }

  private func loop() {
    var open: [(client: Int32, server: Int32, port: UInt16, index: Int)] = []
    let start = monotonicNowMs()
    var made = 0
    while true {
      if made * 1000 > Int(monotonicNowMs() - start) * rate {
        usleep(200)
        continue
      }
      made += 1
      if !shared.withLock({ $0.running }) { break }
      let before = monotonicNowMs()
      guard let (client, clientPort) = connectClient() else {
        shared.withLock { $0.failures += 1 }
        continue
      }
      let server = accept(listener, nil, nil)
      let index = shared.withLock { s in
        s.history[clientPort, default: []].append((before, nil))
        s.opened += 1
        return s.history[clientPort]!.count - 1
      }
      open.append((client, server, clientPort, index))
      if open.count > live { closeConnection(open.removeFirst()) }
    }
    for c in open { closeConnection(c) }
    shared.withLock { $0.finished = true }
  }

  private func connectClient() -> (Int32, UInt16)? {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return nil }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
    addr.sin_port = port.bigEndian
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, len) } }
    guard rc == 0 else {
      close(fd)
      return nil
    }
    _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
    return (fd, UInt16(bigEndian: addr.sin_port))
  }

  /// Closes both ends with RST (SO_LINGER 0): no TIME_WAIT pile-up on a shared machine.
  private func closeConnection(_ c: (client: Int32, server: Int32, port: UInt16, index: Int)) {
    var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
    for fd in [c.client, c.server] where fd >= 0 {
      setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
      close(fd)
    }
    let after = monotonicNowMs()
    shared.withLock { s in
      s.history[c.port]?[c.index].closed = after
      s.closed += 1
    }
  }
}

final class ChurnTests: XCTestCase {
  func testOnceJSONUnderChurn() throws {
    try Binaries.require(Binaries.katop)
    let churn = try ConnectionChurn()
    churn.start()
    var stopped = false
    defer { if !stopped { churn.stop() } }
    let started = monotonicNowMs()
    var runs = 0, rowsChecked = 0, establishedChecked = 0
    while monotonicNowMs() - started < 4000 {
      let t0 = monotonicNowMs()
      let r = try runProcess(Binaries.katop, ["--once", "--json", "--port", "\(churn.port)"], timeout: 30)
      let t1 = monotonicNowMs()
      runs += 1
      XCTAssertEqual(r.status, 0, "run \(runs): \(r.stderr)")
      XCTAssertEqual(r.stderr, "", "run \(runs)")
      let doc = try jsonObject(r.stdout)
      let rows = try XCTUnwrap(doc["connections"] as? [[String: Any]], "run \(runs)")
      let cookies = rows.compactMap { $0["cookie"] as? String }
      XCTAssertEqual(cookies.count, rows.count, "every row has a cookie")
      XCTAssertEqual(Set(cookies).count, cookies.count, "duplicate rows in run \(runs)")
      for row in rows {
        rowsChecked += 1
        guard row["state"] as? String == "ESTABLISHED" else { continue }
        let local = (row["local"] as? [String: Any])?["port"] as? Int ?? -1
        let remote = (row["remote"] as? [String: Any])?["port"] as? Int ?? -1
        let clientPort = UInt16(truncatingIfNeeded: local == Int(churn.port) ? remote : local)
        XCTAssertTrue(
          churn.wasOpen(clientPort: clientPort, from: t0, to: t1),
          "run \(runs): ESTABLISHED row for client port \(clientPort) that was not open during [\(t0), \(t1)]")
        establishedChecked += 1
      }
      XCTAssertNotNil(doc["system"] as? [String: Any])
    }
    let elapsed = Double(monotonicNowMs() - started) / 1000
    churn.stop()
    stopped = true
    print(String(
      format: "churn --once: %d opened, %d closed in %.1f s (%.0f/s), %d katop runs, %d rows checked (%d ESTABLISHED), %d connect failures",
      churn.opened, churn.closed, elapsed, Double(churn.opened) / elapsed, runs, rowsChecked, establishedChecked, churn.failures))
    XCTAssertGreaterThanOrEqual(Double(churn.opened) / elapsed, 1000, "churn too slow to mean anything")
    XCTAssertGreaterThanOrEqual(runs, 3)
    XCTAssertGreaterThan(establishedChecked, 0)
  }

  func testTUIUnderChurn() throws {
    try Binaries.require(Binaries.katop)
    let churn = try ConnectionChurn()
    let t = try TmuxSession(width: 120, height: 40, command: "\(Binaries.katop) --port \(churn.port) --interval 0.25")
    defer { t.kill() }
    try t.waitFor("the listener row") { $0.contains("LISTEN") }
    let pid = try XCTUnwrap(t.panePid)
    churn.start()
    var stopped = false
    defer { if !stopped { churn.stop() } }
    let started = monotonicNowMs()
    var screens = 0, screensWithRows = 0
    while monotonicNowMs() - started < 4000 {
      let screen = try t.capture()
      screens += 1
      XCTAssertFalse(t.isDead, "katop died under churn:\n\(screen)")
      XCTAssertTrue(screen.hasPrefix("katop "), "header missing:\n\(screen)")
      XCTAssertFalse(screen.contains("collect failed"), screen)
      if screen.contains("ESTAB") { screensWithRows += 1 }
      usleep(200_000)
    }
    let elapsed = Double(monotonicNowMs() - started) / 1000
    churn.stop()
    stopped = true
    // Closed rows linger greyed for AppState.highlightMs (3 s); after that and a refresh only
    // the listener may remain.
    let settled = try t.waitFor("only the listener once churn stopped", timeout: 10) { s in
      let rows = s.split(separator: "\n").filter { $0.contains(":\(churn.port)") }
      return rows.count == 1 && rows[0].contains("LISTEN")
    }
    XCTAssertFalse(settled.contains("ESTAB"), settled)
    print(String(
      format: "churn TUI: %d opened, %d closed in %.1f s (%.0f/s), %d screens checked (%d with live rows)",
      churn.opened, churn.closed, elapsed, Double(churn.opened) / elapsed, screens, screensWithRows))
    XCTAssertGreaterThanOrEqual(Double(churn.opened) / elapsed, 1000)
    XCTAssertGreaterThan(screensWithRows, 0, "the TUI never showed a churned connection")
    XCTAssertNotNil(processState(pid))
    try t.send("q")
    XCTAssertTrue(t.waitForExit(), "katop did not exit on q")
    XCTAssertEqual(t.alternateOn, "0")
  }
}
