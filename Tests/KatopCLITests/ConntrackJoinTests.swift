// The conntrack join: in a namespace whose own conntrack tracks its loopback flows (an nftables
// ct rule, nf_conntrack_tcp_timeout_established 60), katop's flow budget is `conntrack` with the
// seconds `conntrack -L` shows (+-1).
import Foundation
import XCTest

final class ConntrackJoinTests: XCTestCase {
  func testFlowBudgetIsTheConntrackEntrysSecondsLeft() throws {
    guard getuid() == 0 else { throw XCTSkip("needs root for a network namespace") }
    guard let ip = NamespaceLab.tool("ip"), let nft = NamespaceLab.tool("nft"), let conntrack = NamespaceLab.tool("conntrack"),
      let python = NamespaceLab.tool("python3")
    else { throw XCTSkip("needs ip, nft, conntrack and python3") }
    try Binaries.require(Binaries.katop)
    let ns = "katopk\(getpid())"
    func must(_ args: [String]) throws {
      let r = try runProcess(ip, args, timeout: 30)
      guard r.status == 0 else { throw NSError(domain: "katop-ct", code: 1, userInfo: [NSLocalizedDescriptionKey: "\(args): \(r.stderr)"]) }
    }
    try must(["netns", "add", ns])
    addTeardownBlock { _ = try? runProcess(ip, ["netns", "del", ns], timeout: 20) }
    try must(["-n", ns, "link", "set", "lo", "up"])
    let rules = NSTemporaryDirectory() + "/katop-ct-\(getpid()).nft"
    try "table inet katopct {\n chain out {\n  type filter hook output priority 0; policy accept;\n  ct state established,related,new accept\n }\n}\n"
      .write(toFile: rules, atomically: true, encoding: .utf8)
    defer { unlink(rules) }
    try must(["netns", "exec", ns, nft, "-f", rules])
    try must(["netns", "exec", ns, "sysctl", "-qw", "net.netfilter.nf_conntrack_tcp_timeout_established=60"])
    // One idle loopback flow without keepalive, held by python in the namespace.
    let holder = """
      import socket, time
      l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(1)
      c = socket.create_connection(l.getsockname()); s, _ = l.accept()
      c.sendall(b"x"); s.recv(1)
      # A second flow whose keepalive (70 s) comes after the 60 s conntrack timeout.
      k = socket.socket(); k.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
      k.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 70)
      k.connect(l.getsockname()); s2, _ = l.accept()
      print("ready %d %d" % (l.getsockname()[1], k.getsockname()[1]), flush=True)
      time.sleep(60)
      """
    let script = NSTemporaryDirectory() + "/katop-ct-\(getpid()).py"
    try holder.write(toFile: script, atomically: true, encoding: .utf8)
    defer { unlink(script) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: ip)
    process.arguments = ["netns", "exec", ns, python, script]
    let out = Pipe()
    process.standardOutput = out
    try process.run()
    addTeardownBlock {
      if process.isRunning { process.terminate() }
      process.waitUntilExit()
    }
    let line = String(decoding: out.fileHandleForReading.availableDataOrLine(), as: UTF8.self)
    let ports = line.split(separator: " ").dropFirst().compactMap { Int($0) }
    guard line.hasPrefix("ready "), ports.count == 2 else { return XCTFail("holder said '\(line)'") }
    let port = ports[0], keepalivePort = ports[1]
    Thread.sleep(forTimeInterval: 3)  // let the entry age a little

    let list = try runProcess(ip, ["netns", "exec", ns, conntrack, "-L", "-p", "tcp", "--dport", "\(port)"], timeout: 20)
    XCTAssertEqual(list.status, 0, list.stderr)
    let first = list.stdout.split(separator: "\n").first { !$0.contains("sport=\(keepalivePort) ") && !$0.contains("dport=\(keepalivePort) ") } ?? ""
    let firstFields = first.split(separator: " ")
    let listed = try XCTUnwrap(firstFields.count > 2 ? Int(firstFields[2]) : nil, "conntrack -L: \(list.stdout)")
    let r = try runProcess(ip, ["netns", "exec", ns, Binaries.katop, "--once", "--json", "--port", "\(port)", "--state", "established"], timeout: 30)
    XCTAssertEqual(r.status, 0, r.stderr)
    let conns = try XCTUnwrap(try jsonObject(r.stdout)["connections"] as? [[String: Any]])
    XCTAssertEqual(conns.count, 4, r.stdout)
    var flagged = 0
    for c in conns {
      let local = (c["local"] as? [String: Any])?["port"] as? Int
      let risks = (c["risks"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
      if local == keepalivePort {
        // keepalive 70 s under a 60 s entry: the host forgets the flow first.
        XCTAssertEqual(risks.first, "conntrack-expires-first", "\(c)")
        flagged += 1
        continue
      }
      let remote = (c["remote"] as? [String: Any])?["port"] as? Int
      if remote == keepalivePort { continue }
      let flow = try XCTUnwrap(c["flow"] as? [String: Any])
      let entry = try XCTUnwrap(c["conntrack"] as? [String: Any], "\(c)")
      print("conntrack join: conntrack -L \(listed)s, katop flow \(flow), conntrack \(entry)")
      XCTAssertEqual(flow["budget"] as? String, "conntrack")
      XCTAssertEqual(entry["state"] as? String, "ESTABLISHED")
      let seconds = try XCTUnwrap(flow["timeoutSeconds"] as? Int)
      XCTAssertLessThanOrEqual(abs(seconds - listed), 1, "katop \(seconds)s, conntrack -L \(listed)s")
      XCTAssertEqual(entry["timeoutSeconds"] as? Int, seconds)
      XCTAssertEqual(flow["cutInMs"] as? Int, seconds * 1000)
    }
    XCTAssertEqual(flagged, 1)
  }
}

extension FileHandle {
  /// Reads up to the first newline (bounded: 4 KiB).
  func availableDataOrLine() -> Data {
    var line = Data()
    for _ in 0..<4096 {
      let byte = readData(ofLength: 1)
      if byte.isEmpty || byte == Data("\n".utf8) { break }
      line.append(byte)
    }
    return line
  }
}
