// Issue 2 acceptance: `katop --once --json` on loopback sockets with known options.
import Foundation
import XCTest

final class OnceJSONTests: XCTestCase {
  /// Two idle connections on one port, one with keepalive 45/7/3; after 3 s,
  /// `katop --once --json --port P --path 127.0.0.0/8=2` (loopback crosses no middlebox unless a
  /// path rule names it) must tell them apart.
  func testKeepaliveAndNoKeepaliveConnections() throws {
    try Binaries.require(Binaries.katop)
    let pair = try LoopbackPair()
    let ka = try pair.connectClient(keepalive: (45, 7, 3))
    let plain = try pair.connectClient()
    Thread.sleep(forTimeInterval: 3.2)

    let r = try runProcess(Binaries.katop, ["--once", "--json", "--port", "\(pair.port)", "--path", "127.0.0.0/8=2"])
    XCTAssertEqual(r.status, 0, r.stderr)
    let doc = try jsonObject(r.stdout)
    XCTAssertNotNil(doc["system"] as? [String: Any])
    let conns = try XCTUnwrap(doc["connections"] as? [[String: Any]])
    let established = conns.filter { $0["state"] as? String == "ESTABLISHED" }
    XCTAssertEqual(established.count, 4, "2 clients + 2 accepted: \(conns.count) rows")
    for c in conns {
      let local = c["local"] as? [String: Any], remote = c["remote"] as? [String: Any]
      let lp = local?["port"] as? Int, rp = remote?["port"] as? Int
      XCTAssertTrue(lp == Int(pair.port) || rp == Int(pair.port), "row outside the port filter: \(c)")
    }
    let root = getuid() == 0
    for c in established {
      let lport = (c["local"] as? [String: Any])?["port"] as? Int
      let timer = try XCTUnwrap(c["timer"] as? [String: Any])
      let keepalive = try XCTUnwrap(c["keepalive"] as? [String: Any])
      let risks = (c["risks"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
      let owner = try XCTUnwrap(c["owner"] as? [String: Any], "owner of \(c)")
      XCTAssertEqual(owner["pid"] as? Int, Int(getpid()))
      if lport == Int(ka.localPort) {
        XCTAssertEqual(timer["kind"] as? String, "keepalive")
        let expires = try XCTUnwrap(timer["expiresMs"] as? Int)
        XCTAssertLessThanOrEqual(expires, 45_000)
        XCTAssertGreaterThan(expires, 30_000, "3 s idle of 45: next run ~42 s away")
        XCTAssertEqual(keepalive["enabled"] as? Bool, true)
        XCTAssertEqual(keepalive["idleSeconds"] as? Int, 45)
        if root {
          XCTAssertEqual(keepalive["intervalSeconds"] as? Int, 7)
          XCTAssertEqual(keepalive["probes"] as? Int, 3)
          XCTAssertEqual(keepalive["source"] as? String, "socket")
        }
        XCTAssertTrue(risks.contains("keepalive-too-slow"), "\(risks)")
        XCTAssertFalse(risks.contains("no-keepalive"))
      } else {
        XCTAssertEqual(keepalive["enabled"] as? Bool, false, "\(c)")
        // Known off from the kernel's timers (no keepalive timer while ESTABLISHED): not read.
        XCTAssertEqual(keepalive["source"] as? String, "timer", "\(c)")
        XCTAssertTrue(risks.contains("no-keepalive"), "\(risks) for \(c)")
        let idle = try XCTUnwrap(c["idleMs"] as? Int)
        XCTAssertGreaterThanOrEqual(idle, 3000)
      }
    }
    if !root { throw XCTSkip("not root: per-socket settings (source: socket) were not checked") }
    _ = plain
  }

  /// Sockets held by another process: the owner is that process.
  func testOwnerIsTheFixtureProcess() throws {
    try Binaries.require(Binaries.katop)
    let fixture = try FixtureProcess(["--port", "0", "--connections", "3"])
    defer { fixture.stop() }
    let r = try runProcess(Binaries.katop, ["--once", "--json", "--port", "\(fixture.port)", "--state", "established"])
    XCTAssertEqual(r.status, 0, r.stderr)
    let conns = try XCTUnwrap(try jsonObject(r.stdout)["connections"] as? [[String: Any]])
    XCTAssertEqual(conns.count, 6)
    for c in conns {
      let owner = try XCTUnwrap(c["owner"] as? [String: Any], "\(c)")
      XCTAssertEqual(owner["pid"] as? Int, Int(fixture.pid))
      XCTAssertEqual(owner["command"] as? String, "katop-fixture")
    }
  }

  /// The table prints the same sockets, one line each, with ss-style endpoints.
  func testTableListsTheSockets() throws {
    try Binaries.require(Binaries.katop)
    let pair = try LoopbackPair()
    let c = try pair.connectClient()
    let r = try runProcess(Binaries.katop, ["--once", "--port", "\(pair.port)"])
    XCTAssertEqual(r.status, 0, r.stderr)
    let lines = r.stdout.split(separator: "\n").map(String.init)
    XCTAssertTrue(lines.contains { $0.contains("127.0.0.1:\(c.localPort)") && $0.contains("127.0.0.1:\(pair.port)") && $0.contains("ESTABLISHED") }, r.stdout)
    XCTAssertTrue(lines.contains { $0.contains("LISTEN") && $0.contains("127.0.0.1:\(pair.port)") }, r.stdout)
  }

  /// --source proc reads /proc/net/tcp and finds the same sockets.
  func testProcSourceFindsTheSameSockets() throws {
    try Binaries.require(Binaries.katop)
    let pair = try LoopbackPair()
    try pair.connectClient()
    try pair.connectClient(keepalive: (45, 7, 3))
    let viaNetlink = try runProcess(Binaries.katop, ["--once", "--json", "--port", "\(pair.port)"])
    let viaProc = try runProcess(Binaries.katop, ["--once", "--json", "--source", "proc", "--port", "\(pair.port)"])
    XCTAssertEqual(viaProc.status, 0, viaProc.stderr)
    func keys(_ text: String) throws -> Set<String> {
      let conns = try XCTUnwrap(try jsonObject(text)["connections"] as? [[String: Any]])
      return Set(conns.map { c in
        let l = c["local"] as? [String: Any], r = c["remote"] as? [String: Any]
        return "\(l?["port"] ?? "") \(r?["port"] ?? "") \(c["state"] ?? "") \((c["timer"] as? [String: Any])?["kind"] ?? "")"
      })
    }
    XCTAssertEqual(try keys(viaNetlink.stdout), try keys(viaProc.stdout))
    XCTAssertEqual(try jsonObject(viaProc.stdout)["system"].flatMap { ($0 as? [String: Any])?["source"] as? String }, "proc")
  }
}
