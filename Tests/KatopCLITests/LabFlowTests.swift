// Flow truth against a real middlebox: the namespace lab's router forgets established flows idle
// for 20 s (nf_conntrack_tcp_timeout_established=20, loose 0). Three flows run side by side:
//   A no keepalive: really dies after 20 s idle; katop predicted the cut within +-2 s.
//   B keepalive 10/5/3: survives 34 s idle; katop never flags it (kept by keepalive).
//   C no keepalive, the server end probes 5/2/3: survives; katop shows it kept alive by the peer.
import Foundation
import XCTest

final class LabFlowTests: XCTestCase {
  static let budget = 20
  /// When (s after the flows are ready) the client sends on every flow once more.
  static let probeAt = 34.0

  /// The lab's peers: `server` echoes on 7001-7003 (keepalive 5/2/3 on 7003's accepted socket);
  /// `client PROBE_AT` opens the three flows (keepalive 10/5/3 on 7002), says `ready`, then at
  /// PROBE_AT sends once more on each and prints which ones were answered. Both exit by themselves.
  static let peers = #"""
    import json, select, socket, sys, threading, time
    T = socket.IPPROTO_TCP
    def keepalive(s, idle, intvl, cnt):
        s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        s.setsockopt(T, socket.TCP_KEEPIDLE, idle)
        s.setsockopt(T, socket.TCP_KEEPINTVL, intvl)
        s.setsockopt(T, socket.TCP_KEEPCNT, cnt)
    def echo(c):
        c.settimeout(120)
        try:
            while True:
                d = c.recv(100)
                if not d: return
                c.sendall(d)
        except OSError:
            return
    if sys.argv[1] == "server":
        ls = []
        for port in (7001, 7002, 7003):
            l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            l.bind((sys.argv[2], port)); l.listen(4); ls.append(l)
        print("listening", flush=True)
        end = time.time() + 120
        while time.time() < end:
            r, _, _ = select.select(ls, [], [], 1)
            for l in r:
                c, _ = l.accept()
                if l.getsockname()[1] == 7003: keepalive(c, 5, 2, 3)
                threading.Thread(target=echo, args=(c,), daemon=True).start()
    else:
        host, probe_at = sys.argv[2], float(sys.argv[3])
        flows = {}
        for name, port in (("A", 7001), ("B", 7002), ("C", 7003)):
            s = socket.create_connection((host, port), timeout=5)
            if name == "B": keepalive(s, 10, 5, 3)
            s.sendall(b"hi"); s.recv(10)
            flows[name] = s
        start = time.monotonic()
        print("ready " + json.dumps({n: s.getsockname()[1] for n, s in flows.items()}), flush=True)
        time.sleep(max(0, probe_at - (time.monotonic() - start)))
        answered = {}
        for n, s in flows.items():
            try: s.sendall(b"again"); answered[n] = False
            except OSError: answered[n] = None
        deadline = time.monotonic() + 4
        while time.monotonic() < deadline and not all(answered.values()):
            for n, s in flows.items():
                if answered[n] is False:
                    s.setblocking(False)
                    try: answered[n] = len(s.recv(10)) > 0
                    except OSError: pass
            time.sleep(0.05)
        print("answered " + json.dumps(answered), flush=True)
    """#

  struct FlowView {
    var flow: [String: Any]
    var risks: [String]
    var keepalive: [String: Any]
    var line: String
  }

  /// katop --once --json in the client namespace; the lab's three flows by name (A, B, C).
  func katop(_ lab: NamespaceLab, ports: [String: Int], observe: Double?) throws -> (flows: [String: FlowView], endedAt: Date) {
    var args = [Binaries.katop, "--once", "--json", "--path", "198.51.100.0/24=\(LabFlowTests.budget)", "--port", "7001,7002,7003"]
    if let observe { args += ["--observe", String(observe)] }
    let r = try lab.run(lab.client, args, timeout: 60)
    let ended = Date()
    XCTAssertEqual(r.status, 0, r.stderr)
    let doc = try jsonObject(r.stdout)
    var out: [String: FlowView] = [:]
    for case let c as [String: Any] in doc["connections"] as? [Any] ?? [] {
      guard let local = c["local"] as? [String: Any], let port = local["port"] as? Int,
        let name = ports.first(where: { $0.value == port })?.key
      else { continue }
      let risks = (c["risks"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
      let flow = c["flow"] as? [String: Any] ?? [:]
      let ka = c["keepalive"] as? [String: Any] ?? [:]
      let line = "\(name) flow=\(Self.compact(flow)) keepalive=\(ka["enabled"] ?? "?")/\(ka["idleSeconds"] ?? "?")s risks=\(risks)"
      out[name] = FlowView(flow: flow, risks: risks, keepalive: ka, line: line)
    }
    return (out, ended)
  }

  static func compact(_ o: [String: Any]) -> String {
    o.keys.sorted().map { "\($0):\(o[$0].map { "\($0)" } ?? "nil")" }.joined(separator: ",")
  }

  /// Seconds left on each lab flow's conntrack entry in the router (`conntrack -L`), by client port.
  func conntrackSecondsLeft(_ lab: NamespaceLab) throws -> [Int: Int] {
    guard let tool = NamespaceLab.tool("conntrack") else { throw XCTSkip("conntrack (conntrack-tools) is not installed") }
    let r = try lab.run(lab.router, [tool, "-L", "-p", "tcp"], timeout: 20)
    XCTAssertEqual(r.status, 0, r.stderr)
    var out: [Int: Int] = [:]
    for line in r.stdout.split(separator: "\n") {
      let fields = line.split(separator: " ")
      guard fields.count > 3, let left = Int(fields[2]),
        let sport = fields.first(where: { $0.hasPrefix("sport=") }).flatMap({ Int($0.dropFirst(6)) })
      else { continue }
      out[sport] = left
    }
    return out
  }

  func testLabFlowsCutPredictedKeptByKeepaliveAndByPeer() throws {
    try Binaries.require(Binaries.katop)
    guard let python = NamespaceLab.tool("python3") else { throw XCTSkip("python3 is not installed") }
    let lab = try NamespaceLab(tag: "f", establishedTimeout: LabFlowTests.budget)
    addTeardownBlock { lab.tearDown() }
    let script = NSTemporaryDirectory() + "/katop-lab-peers-\(getpid()).py"
    try LabFlowTests.peers.write(toFile: script, atomically: true, encoding: .utf8)
    addTeardownBlock { unlink(script) }

    let server = try LabProcess(lab, ns: lab.server, [python, script, "server", NamespaceLab.serverAddress])
    addTeardownBlock { server.stop() }
    XCTAssertNotNil(server.waitForLine("listening", timeout: 10), "server did not start: \(server.output)")
    let client = try LabProcess(lab, ns: lab.client, [python, script, "client", NamespaceLab.serverAddress, String(LabFlowTests.probeAt)])
    addTeardownBlock { client.stop() }
    guard let ready = client.waitForLine("ready ", timeout: 10) else {
      return XCTFail("client did not connect: \(client.output)")
    }
    let t0 = Date()
    let ports = try (jsonObject(String(ready.dropFirst(6))) as [String: Any]).compactMapValues { $0 as? Int }
    XCTAssertEqual(ports.count, 3)

    // Run 1 (observing 7 s: the server's first probe on C comes 5 s after the last segment).
    let (first, firstAt) = try katop(lab, ports: ports, observe: 7)
    let left = try conntrackSecondsLeft(lab)
    let leftAt = Date()
    // The same flows as the --once table (watched for 6 s): what the issue's acceptance pastes.
    let table = try lab.run(
      lab.client,
      [Binaries.katop, "--once", "--path", "198.51.100.0/24=\(LabFlowTests.budget)", "--port", "7001,7002,7003", "--state", "established", "--observe", "6"],
      timeout: 60)
    XCTAssertEqual(table.status, 0, table.stderr)
    let tableAt = Date()
    func sleep(until offset: Double) { Thread.sleep(forTimeInterval: max(0, offset - Date().timeIntervalSince(t0))) }
    sleep(until: 15)
    let (second, _) = try katop(lab, ports: ports, observe: nil)
    sleep(until: 26)
    let (third, thirdAt) = try katop(lab, ports: ports, observe: 7)
    guard let answeredLine = client.waitForLine("answered ", timeout: LabFlowTests.probeAt + 15) else {
      return XCTFail("client did not finish: \(client.output)")
    }
    let answered = try jsonObject(String(answeredLine.dropFirst(9)))
    let report = [
      "run 1 (t=\(Self.since(t0, firstAt))s):"] + first.values.map(\.line).sorted()
      + ["conntrack -L in the router at t=\(Self.since(t0, leftAt))s: \(left)"]
      + ["table (t=\(Self.since(t0, tableAt))s; flows A/B/C = client ports \(ports.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })):", table.stdout]
      + ["run 2:"] + second.values.map(\.line).sorted()
      + ["run 3 (t=\(Self.since(t0, thirdAt))s):"] + third.values.map(\.line).sorted()
      + ["sent again at t=\(LabFlowTests.probeAt)s, answered: \(answered)"]
    print("LAB REPORT\n" + report.joined(separator: "\n"))

    // A: really dies, and katop predicted when.
    XCTAssertEqual(answered["A"] as? Bool, false, "flow A should have been forgotten by the router")
    let aPort = ports["A"] ?? 0
    guard let aFirst = first["A"], let cutIn = aFirst.flow["cutInMs"] as? Int, let aLeft = left[aPort] else {
      return XCTFail("flow A missing cut-in or conntrack entry: \(report)")
    }
    XCTAssertEqual(aFirst.flow["budget"] as? String, "path")
    XCTAssertEqual(aFirst.flow["timeoutSeconds"] as? Int, LabFlowTests.budget)
    let predicted = firstAt.addingTimeInterval(Double(cutIn) / 1000)
    let real = leftAt.addingTimeInterval(Double(aLeft))
    XCTAssertLessThanOrEqual(abs(predicted.timeIntervalSince(real)), 2.0, "predicted cut \(predicted), conntrack expiry \(real)")
    XCTAssertEqual(third["A"]?.flow["cutInMs"] as? Int, 0, "past the budget: cut")
    XCTAssertTrue(third["A"]?.risks.contains("no-keepalive") ?? false, "A past its budget must be flagged")

    // B: survives, never flagged, kept by its keepalive.
    XCTAssertEqual(answered["B"] as? Bool, true, "flow B should have survived")
    for (run, views) in [("1", first), ("2", second), ("3", third)] {
      XCTAssertEqual(views["B"]?.risks ?? ["missing"], [], "run \(run) flagged B")
      XCTAssertEqual(views["B"]?.flow["keptAliveBy"] as? String, "keepalive", "run \(run)")
      XCTAssertTrue(views["B"]?.flow["cutInMs"] is NSNull, "run \(run)")
    }

    // C: the peer's probes keep it (and it survives).
    XCTAssertEqual(answered["C"] as? Bool, true, "flow C should have survived")
    for (run, views) in [("1", first), ("3", third)] {
      XCTAssertEqual(views["C"]?.flow["keptAliveBy"] as? String, "peer", "run \(run)")
      XCTAssertEqual(views["C"]?.risks ?? ["missing"], [], "run \(run) flagged C")
    }
  }

  static func since(_ a: Date, _ b: Date) -> String { String(format: "%.1f", b.timeIntervalSince(a)) }
}
