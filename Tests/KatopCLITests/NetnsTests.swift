// --netns: a namespace the test creates (ip netns add, keepalive sysctls 120/10/3 inside, a
// loopback connection inside) is listed by `katop --once --json --netns all` with its name and
// keepalive 120 from its own sysctls, while the root namespace's sockets show the root's. Run from
// inside the tuned namespace, netns-default-keepalive flags a namespace left on 7200/75/9.
import Foundation
import XCTest

final class NetnsTests: XCTestCase {
  struct Listed {
    var doc: [String: Any]
    var connections: [[String: Any]]
    var namespaces: [[String: Any]]
  }

  func katop(_ args: [String], in ns: String? = nil, ip: String) throws -> Listed {
    let r = try ns.map { try runProcess(ip, ["netns", "exec", $0, Binaries.katop] + args, timeout: 60) }
      ?? runProcess(Binaries.katop, args, timeout: 60)
    XCTAssertEqual(r.status, 0, r.stderr)
    let doc = try jsonObject(r.stdout)
    let system = doc["system"] as? [String: Any] ?? [:]
    return Listed(
      doc: doc, connections: doc["connections"] as? [[String: Any]] ?? [], namespaces: system["namespaces"] as? [[String: Any]] ?? [])
  }

  func testAllNamespacesLabelledWithTheirOwnSysctls() throws {
    guard getuid() == 0 else { throw XCTSkip("--netns all needs root (setns)") }
    guard let ip = NamespaceLab.tool("ip") else { throw XCTSkip("iproute2 (ip) is not installed") }
    try Binaries.require(Binaries.katop)
    let tuned = "katopn\(getpid())t", plain = "katopn\(getpid())d"
    for ns in [tuned, plain] {
      let r = try runProcess(ip, ["netns", "add", ns])
      XCTAssertEqual(r.status, 0, r.stderr)
      addTeardownBlock { _ = try? runProcess(ip, ["netns", "del", ns]) }
      _ = try runProcess(ip, ["-n", ns, "link", "set", "lo", "up"])
    }
    let sysctl = try runProcess(
      ip, ["netns", "exec", tuned, "sysctl", "-qw", "net.ipv4.tcp_keepalive_time=120", "net.ipv4.tcp_keepalive_intvl=10",
           "net.ipv4.tcp_keepalive_probes=3"])
    XCTAssertEqual(sysctl.status, 0, sysctl.stderr)
    let inside = try FixtureProcess(["--port", "0", "--connections", "1"], launcher: [ip, "netns", "exec", tuned])
    defer { inside.stop() }
    let root = try FixtureProcess(["--port", "0", "--connections", "1"])
    defer { root.stop() }
    let rootKeepalive = Int(try String(contentsOfFile: "/proc/sys/net/ipv4/tcp_keepalive_time", encoding: .utf8)
      .trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1

    let ports = "\(inside.port),\(root.port)"
    let run = try katop(["--once", "--json", "--netns", "all", "--port", ports, "--state", "established"], ip: ip)
    func rows(_ port: UInt16, _ listed: Listed) -> [[String: Any]] {
      listed.connections.filter { c in
        [c["local"], c["remote"]].contains { ($0 as? [String: Any])?["port"] as? Int == Int(port) }
      }
    }
    let insideRows = rows(inside.port, run), rootRows = rows(root.port, run)
    XCTAssertEqual(insideRows.count, 2, "both ends of the connection in \(tuned)")
    XCTAssertEqual(rootRows.count, 2, "both ends of the root namespace's connection")
    for c in insideRows {
      let netns = c["netns"] as? [String: Any] ?? [:]
      XCTAssertEqual(netns["name"] as? String, tuned)
      XCTAssertTrue(netns["container"] is NSNull)
      XCTAssertEqual((c["keepalive"] as? [String: Any])?["idleSeconds"] as? Int, 120, "the namespace's own sysctl")
      XCTAssertEqual((c["owner"] as? [String: Any])?["pid"] as? Int, Int(inside.pid), "owner resolved in the namespace")
    }
    for c in rootRows {
      XCTAssertTrue((c["netns"] as? [String: Any])?["name"] is NSNull)
      XCTAssertEqual((c["keepalive"] as? [String: Any])?["idleSeconds"] as? Int, rootKeepalive, "the root's sysctl")
      XCTAssertEqual((c["owner"] as? [String: Any])?["pid"] as? Int, Int(root.pid))
    }
    let tunedFacts = run.namespaces.first { $0["name"] as? String == tuned }
    XCTAssertEqual((tunedFacts?["keepalive"] as? [String: Any])?["time"] as? Int, 120)
    XCTAssertEqual((tunedFacts?["keepalive"] as? [String: Any])?["probes"] as? Int, 3)
    XCTAssertEqual(tunedFacts?["connections"] as? Int, 2)
    XCTAssertNotNil(run.namespaces.first { $0["name"] as? String == plain }, "an ip netns namespace without processes is listed")
    let inodes = run.namespaces.compactMap { $0["inode"] as? Int }
    XCTAssertEqual(Set(inodes).count, inodes.count, "unique by inode")

    // From inside the tuned namespace: the one left on the kernel's defaults is flagged.
    let fromTuned = try katop(["--once", "--json", "--netns", "all", "--port", ports], in: tuned, ip: ip)
    func risks(_ name: String?) -> [String] {
      let facts = fromTuned.namespaces.first { ($0["name"] as? String) == name }
      return (facts?["risks"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
    }
    XCTAssertEqual(risks(plain), ["netns-default-keepalive"], "\(fromTuned.namespaces)")
    XCTAssertEqual(risks(tuned), [], "katop's own, tuned namespace is the reference")
    let flagged = fromTuned.namespaces.first { ($0["name"] as? String) == plain }
    let fix = (flagged?["risks"] as? [[String: Any]])?.first?["fix"] as? String ?? ""
    XCTAssertTrue(fix.contains("--sysctl net.ipv4.tcp_keepalive_time=120") && fix.contains("securityContext.sysctls"), fix)
    XCTAssertEqual(
      (rows(inside.port, fromTuned).first?["netns"] as? [String: Any])?["name"] as? String, tuned,
      "katop's own namespace carries its ip netns name")
    let table = try runProcess(ip, ["netns", "exec", tuned, Binaries.katop, "--once", "--netns", "all", "--port", ports], timeout: 60)
    XCTAssertEqual(table.status, 0, table.stderr)
    XCTAssertTrue(table.stdout.contains("* \(tuned) (inode") && table.stdout.contains("keepalive 120/10/3"), table.stdout)
    XCTAssertTrue(table.stdout.contains("netns-default-keepalive: namespace \(plain) keeps"), table.stdout)
    print("NETNS REPORT\n" + fromTuned.namespaces.map { "\($0["inode"] ?? "") name=\($0["name"] ?? "") keepalive=\($0["keepalive"] ?? "") risks=\(risks($0["name"] as? String))" }.joined(separator: "\n"))
  }

  /// The TUI's N view, katop running in a tuned namespace: its own line (*) shows 120/10/3 read
  /// inside it, and a namespace left on the defaults is flagged with the fix.
  func testNamespaceViewInTheTUI() throws {
    guard getuid() == 0 else { throw XCTSkip("the namespace view lists every namespace as root only") }
    guard let ip = NamespaceLab.tool("ip") else { throw XCTSkip("iproute2 (ip) is not installed") }
    try Binaries.require(Binaries.katop)
    let tuned = "katopv\(getpid())t", plain = "katopv\(getpid())d"
    for ns in [tuned, plain] {
      XCTAssertEqual(try runProcess(ip, ["netns", "add", ns]).status, 0)
      addTeardownBlock { _ = try? runProcess(ip, ["netns", "del", ns]) }
    }
    _ = try runProcess(
      ip, ["netns", "exec", tuned, "sysctl", "-qw", "net.ipv4.tcp_keepalive_time=120", "net.ipv4.tcp_keepalive_intvl=10",
           "net.ipv4.tcp_keepalive_probes=3"])
    let t = try TmuxSession(width: 140, height: 40, command: "\(ip) netns exec \(tuned) \(Binaries.katop) --port 1")
    defer { t.kill() }
    try t.waitFor("the table") { $0.contains("Local") }
    try t.send("N")
    let screen = try t.waitFor("the namespace view") { $0.contains("Network namespaces") && $0.contains(plain) }
    print("NAMESPACE VIEW\n" + screen)
    let lines = screen.split(separator: "\n")
    XCTAssertTrue(lines.contains { $0.contains("* \(tuned)") && $0.contains("120/10/3") }, screen)
    XCTAssertTrue(lines.contains { $0.contains(plain) && $0.contains("7200/75/9") && $0.contains("netns-default-keepalive") }, screen)
    XCTAssertTrue(screen.contains("fix:"), screen)
    try t.send("q")
    XCTAssertTrue(t.waitForExit())
  }

  func testNetnsAllNeedsRootAndNetnsNeedsOnce() throws {
    try Binaries.require(Binaries.katop)
    let r = try runProcess(Binaries.katop, ["--netns", "all"], timeout: 20)
    XCTAssertEqual(r.status, 64, r.stderr)
    XCTAssertTrue(r.stderr.contains("--netns needs --once"), r.stderr)
    let missing = try runProcess(Binaries.katop, ["--once", "--netns", "no-such-namespace-\(getpid())"], timeout: 20)
    XCTAssertNotEqual(missing.status, 0)
    XCTAssertTrue(missing.stderr.contains("no such network namespace"), missing.stderr)
  }
}
