// A three-namespace lab built by the tests: client ns -- router ns (forwarding, nftables +
// conntrack with a short established timeout) -- server ns, joined by veth pairs, TEST-NET
// addresses only (192.0.2.0/24 client side, 198.51.100.0/24 server side). Names carry the pid;
// `tearDown` deletes the namespaces (and with them the veths), also after a failed setup.
import Foundation
import XCTest

final class NamespaceLab {
  static let clientAddress = "192.0.2.2", routerClientAddress = "192.0.2.1"
  static let serverAddress = "198.51.100.2", routerServerAddress = "198.51.100.1"

  let client: String, router: String, server: String
  private(set) var created: [String] = []
  let ip: String, nft: String

  static func tool(_ name: String) -> String? {
    ["/usr/sbin/", "/sbin/", "/usr/bin/", "/bin/"].map { $0 + name }.first { FileManager.default.isExecutableFile(atPath: $0) }
  }

  /// Builds the lab; skips unless root with ip and nft; on any failure removes what it made.
  init(tag: String, establishedTimeout: Int) throws {
    guard getuid() == 0 else { throw XCTSkip("the namespace lab needs root") }
    guard let ip = NamespaceLab.tool("ip") else { throw XCTSkip("iproute2 (ip) is not installed") }
    guard let nft = NamespaceLab.tool("nft") else { throw XCTSkip("nftables (nft) is not installed") }
    self.ip = ip
    self.nft = nft
    let base = "katop\(tag)\(getpid())"
    client = base + "c"
    router = base + "r"
    server = base + "s"
    do {
      try build(establishedTimeout: establishedTimeout)
    } catch {
      tearDown()
      throw error
    }
  }

  private func build(establishedTimeout: Int) throws {
    for ns in [client, router, server] {
      try must(ip, ["netns", "add", ns])
      created.append(ns)
      try must(ip, ["-n", ns, "link", "set", "lo", "up"])
    }
    try must(ip, ["-n", client, "link", "add", "c0", "type", "veth", "peer", "name", "r0", "netns", router])
    try must(ip, ["-n", server, "link", "add", "s0", "type", "veth", "peer", "name", "r1", "netns", router])
    try must(ip, ["-n", client, "addr", "add", NamespaceLab.clientAddress + "/24", "dev", "c0"])
    try must(ip, ["-n", router, "addr", "add", NamespaceLab.routerClientAddress + "/24", "dev", "r0"])
    try must(ip, ["-n", router, "addr", "add", NamespaceLab.routerServerAddress + "/24", "dev", "r1"])
    try must(ip, ["-n", server, "addr", "add", NamespaceLab.serverAddress + "/24", "dev", "s0"])
    for (ns, dev) in [(client, "c0"), (router, "r0"), (router, "r1"), (server, "s0")] {
      try must(ip, ["-n", ns, "link", "set", dev, "up"])
    }
    try must(ip, ["-n", client, "route", "add", "default", "via", NamespaceLab.routerClientAddress])
    try must(ip, ["-n", server, "route", "add", "default", "via", NamespaceLab.routerServerAddress])
    try exec(router, ["sysctl", "-qw", "net.ipv4.ip_forward=1"])
    let rules = """
      table inet katoplab {
        chain forward {
          type filter hook forward priority 0; policy drop;
          ct state established,related accept
          ct state new tcp flags & (syn | ack | fin | rst) == syn accept
        }
      }
      """
    let file = NSTemporaryDirectory() + "/katop-lab-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).nft"
    try rules.write(toFile: file, atomically: true, encoding: .utf8)
    defer { unlink(file) }
    try exec(router, [nft, "-f", file])
    // Per-namespace conntrack sysctls (present once conntrack runs in the namespace).
    try exec(router, ["sysctl", "-qw", "net.netfilter.nf_conntrack_tcp_timeout_established=\(establishedTimeout)"])
    try exec(router, ["sysctl", "-qw", "net.netfilter.nf_conntrack_tcp_loose=0"])
  }

  /// Runs a command in namespace `ns` to completion (bounded).
  @discardableResult
  func exec(_ ns: String, _ args: [String], timeout: TimeInterval = 30) throws -> RunResult {
    try must(ip, ["netns", "exec", ns] + args, timeout: timeout)
  }

  /// `ip netns exec NS ARGS` without requiring success.
  func run(_ ns: String, _ args: [String], env: [String: String]? = nil, timeout: TimeInterval = 30) throws -> RunResult {
    try runProcess(ip, ["netns", "exec", ns] + args, env: env, timeout: timeout)
  }

  @discardableResult
  private func must(_ path: String, _ args: [String], timeout: TimeInterval = 30) throws -> RunResult {
    let r = try runProcess(path, args, timeout: timeout)
    guard r.status == 0 else {
      throw NSError(
        domain: "katop-lab", code: Int(r.status),
        userInfo: [NSLocalizedDescriptionKey: "\(path) \(args.joined(separator: " ")) failed (\(r.status)): \(r.stderr)"])
    }
    return r
  }

  func tearDown() {
    for ns in created.reversed() { _ = try? runProcess(ip, ["netns", "del", ns], timeout: 20) }
    created = []
  }

  deinit { tearDown() }
}

/// A long-running process inside a namespace (the lab's python3 peers), output to a file.
final class LabProcess {
  let process = Process()
  let outPath: String

  init(_ lab: NamespaceLab, ns: String, _ args: [String]) throws {
    outPath = NSTemporaryDirectory() + "/katop-lab-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).out"
    _ = FileManager.default.createFile(atPath: outPath, contents: nil)
    process.executableURL = URL(fileURLWithPath: lab.ip)
    process.arguments = ["netns", "exec", ns] + args
    process.standardOutput = FileHandle(forWritingAtPath: outPath)
    process.standardError = FileHandle(forWritingAtPath: "/dev/null")
    process.standardInput = FileHandle(forReadingAtPath: "/dev/null")
    try process.run()
  }

  var output: String { (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "" }

  /// Waits (bounded) for a line starting with `prefix`; returns it.
  func waitForLine(_ prefix: String, timeout: TimeInterval) -> String? {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
      if let line = output.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) { return String(line) }
      if !process.isRunning { return nil }
      usleep(50_000)
    }
    return nil
  }

  func stop() {
    if process.isRunning {
      process.terminate()
      let deadline = Date().addingTimeInterval(5)
      while process.isRunning && Date() < deadline { usleep(20_000) }
      if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
    process.waitUntilExit()
    unlink(outPath)
  }

  deinit { stop() }
}
