// Issue 14: the reports for monitoring through the real binary on loopback sockets of known
// state: Prometheus text checked with prometheus_client's own parser against the JSON of the
// same sockets, --check exit codes, --summary, and write errors (/dev/full).
import Foundation
import XCTest

let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

/// Parses Prometheus / OpenMetrics text with the Python prometheus_client parser (Debian's
/// python3-prometheus-client); skips when it is not installed.
func parseMetrics(_ text: String, openMetrics: Bool = false) throws -> [[String: Any]] {
  let input = NSTemporaryDirectory() + "katop-metrics-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).txt"
  try text.write(toFile: input, atomically: true, encoding: .utf8)
  defer { unlink(input) }
  let script = repoRoot + "/Tests/Scripts/parse-metrics.py"
  let r = try runProcess("/bin/sh", ["-c", "exec /usr/bin/python3 \"$0\" \(openMetrics ? "--openmetrics" : "") < \"$1\"", script, input])
  if r.status == 3 { throw XCTSkip("python3-prometheus-client is not installed: \(r.stderr)") }
  XCTAssertEqual(r.status, 0, "the parser rejects the text: \(r.stderr)\n\(text)")
  return try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]] ?? []
}

struct Samples {
  var all: [[String: Any]]
  /// The value of the one sample `name` with exactly these labels.
  func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
    let hits = all.filter { $0["name"] as? String == name && ($0["labels"] as? [String: String] ?? [:]) == labels }
    guard hits.count == 1 else { return nil }
    if hits[0]["value"] as? String == "+Inf" { return .infinity }
    return (hits[0]["value"] as? NSNumber)?.doubleValue
  }
  func named(_ name: String) -> [[String: Any]] { all.filter { $0["name"] as? String == name } }
}

final class MonitoringOutputTests: XCTestCase {
  /// A critical (no keepalive, idle past a 2 s timeout) and a warning (keepalive slower than
  /// the timeout) connection: the metrics of `--port P` equal what the JSON of `--port P` says.
  func testPrometheusNumbersEqualTheJSON() throws {
    try Binaries.require(Binaries.katop)
    let pair = try LoopbackPair()
    try pair.connectClient(keepalive: (45, 7, 3))
    try pair.connectClient()
    Thread.sleep(forTimeInterval: 3.2)
    let args = ["--once", "--port", "\(pair.port)", "--path", "127.0.0.0/8=2"]
    let before = try runProcess(Binaries.katop, args + ["--json"])
    let prom = try runProcess(Binaries.katop, args + ["--format", "prometheus"])
    let after = try runProcess(Binaries.katop, args + ["--json"])
    for r in [before, prom, after] { XCTAssertEqual(r.status, 0, r.stderr) }
    let samples = Samples(all: try parseMetrics(prom.stdout))
    let doc = try jsonObject(before.stdout), docAfter = try jsonObject(after.stdout)
    let conns = try XCTUnwrap(doc["connections"] as? [[String: Any]])
    XCTAssertEqual(conns.count, 5, "listener + 2 clients + 2 accepted")

    // By state, every state present (zeros included).
    let states = ["ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING", "NEW_SYN_RECV"]
    for state in states {
      let n = conns.filter { $0["state"] as? String == state }.count
      XCTAssertEqual(samples.value("katop_connections", ["state": state.lowercased()]), Double(n), state)
    }
    // Keepalive on / off / unknown over the states keepalive applies to.
    let applies = conns.filter { !["LISTEN", "TIME_WAIT"].contains($0["state"] as? String ?? "") }
    func keepalive(_ c: [String: Any]) -> Any? { (c["keepalive"] as? [String: Any])?["enabled"] }
    XCTAssertEqual(samples.value("katop_keepalive_connections", ["keepalive": "on"]), Double(applies.filter { keepalive($0) as? Bool == true }.count))
    XCTAssertEqual(samples.value("katop_keepalive_connections", ["keepalive": "off"]), Double(applies.filter { keepalive($0) as? Bool == false }.count))
    XCTAssertEqual(samples.value("katop_keepalive_connections", ["keepalive": "unknown"]), Double(applies.filter { keepalive($0) is NSNull }.count))
    // Risks per rule and severity, and the worst severity per connection.
    var perRule: [String: Int] = [:]
    var worst: [String: Int] = ["critical": 0, "warning": 0, "info": 0]
    for c in conns {
      let risks = c["risks"] as? [[String: Any]] ?? []
      for r in risks { perRule["\(r["id"] ?? "")/\(r["severity"] ?? "")", default: 0] += 1 }
      if let w = risks.first?["severity"] as? String { worst[w, default: 0] += 1 }
    }
    XCTAssertGreaterThanOrEqual(perRule["no-keepalive/critical"] ?? 0, 2, "the fixture makes no-keepalive criticals: \(perRule)")
    for sample in samples.named("katop_risks") {
      let labels = sample["labels"] as? [String: String] ?? [:]
      let key = "\(labels["rule"] ?? "")/\(labels["severity"] ?? "")"
      XCTAssertEqual((sample["value"] as? NSNumber)?.intValue, perRule[key] ?? 0, key)
    }
    XCTAssertEqual(samples.named("katop_risks").reduce(0) { $0 + (($1["value"] as? NSNumber)?.intValue ?? 0) }, perRule.values.reduce(0, +))
    for (severity, n) in worst { XCTAssertEqual(samples.value("katop_connections_at_risk", ["severity": severity]), Double(n), severity) }
    // Owners and remote ports (few enough that no `other` bucket appears).
    var owners: [String: Int] = [:], ports: [String: Int] = [:]
    for c in conns {
      owners[(c["owner"] as? [String: Any])?["command"] as? String ?? "-", default: 0] += 1
      if c["state"] as? String != "LISTEN" { ports["\((c["remote"] as? [String: Any])?["port"] ?? 0)", default: 0] += 1 }
    }
    for (command, n) in owners { XCTAssertEqual(samples.value("katop_connections_by_owner", ["command": command]), Double(n), command) }
    for (port, n) in ports { XCTAssertEqual(samples.value("katop_connections_by_remote_port", ["port": port]), Double(n), port) }
    XCTAssertEqual(samples.named("katop_connections_by_remote_port").count, ports.count)
    // The flows without keepalive idled past the 2 s timeout: the soonest cut is now (0 s).
    XCTAssertEqual(samples.value("katop_soonest_cut_seconds"), 0)
    // Sysctls equal; counters between the two JSON snapshots taken around the scrape.
    let system = try XCTUnwrap(doc["system"] as? [String: Any])
    // The profile for other remotes (the 2 s budget is the --path rule's, per flow).
    let profile = try XCTUnwrap(system["profile"] as? [String: Any])
    XCTAssertEqual(samples.value("katop_profile_idle_timeout_seconds"), (profile["idleTimeoutSeconds"] as? NSNumber)?.doubleValue)
    let sysctl = try XCTUnwrap(system["keepalive"] as? [String: Any])
    XCTAssertEqual(samples.value("katop_sysctl_tcp_keepalive_time_seconds"), (sysctl["time"] as? NSNumber)?.doubleValue)
    XCTAssertEqual(samples.value("katop_sysctl_tcp_keepalive_intvl_seconds"), (sysctl["intvl"] as? NSNumber)?.doubleValue)
    XCTAssertEqual(samples.value("katop_sysctl_tcp_keepalive_probes"), (sysctl["probes"] as? NSNumber)?.doubleValue)
    XCTAssertEqual(samples.value("katop_sysctl_tcp_retries2"), (system["tcpRetries2"] as? NSNumber)?.doubleValue)
    let counters = try XCTUnwrap(system["counters"] as? [String: Any])
    let countersAfter = try XCTUnwrap((docAfter["system"] as? [String: Any])?["counters"] as? [String: Any])
    for (metric, key) in [("katop_tcpext_keepalive_probes_total", "keepAliveProbes"), ("katop_tcpext_abort_on_timeout_total", "abortOnTimeout")] {
      guard let low = (counters[key] as? NSNumber)?.doubleValue, let high = (countersAfter[key] as? NSNumber)?.doubleValue else { continue }
      let v = try XCTUnwrap(samples.value(metric), metric)
      XCTAssertTrue(low <= v && v <= high, "\(metric) \(v) outside [\(low), \(high)]")
    }
    // Names follow the conventions: katop_ prefix, snake case, counters end in _total.
    for s in samples.all {
      let name = s["name"] as? String ?? ""
      XCTAssertNotNil(name.range(of: "^katop_[a-z0-9_]+$", options: .regularExpression), name)
      if s["type"] as? String == "counter" { XCTAssertTrue(name.hasSuffix("_total"), name) }
    }
    // The OpenMetrics form parses with the OpenMetrics parser and carries the same numbers.
    let om = try runProcess(Binaries.katop, args + ["--format", "openmetrics"])
    XCTAssertEqual(om.status, 0, om.stderr)
    XCTAssertTrue(om.stdout.hasSuffix("# EOF\n"))
    let omSamples = Samples(all: try parseMetrics(om.stdout, openMetrics: true))
    XCTAssertEqual(omSamples.value("katop_connections", ["state": "established"]), samples.value("katop_connections", ["state": "established"]))
  }

  /// `katop export --textfile DIR --count 2 --interval 0.25` leaves one parseable katop.prom and
  /// no temporary file.
  func testExportWritesTheTextfileAtomically() throws {
    try Binaries.require(Binaries.katop)
    let dir = NSTemporaryDirectory() + "katop-export-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let pair = try LoopbackPair()
    try pair.connectClient()
    let r = try runProcess(Binaries.katop, ["export", "--textfile", dir, "--interval", "0.25", "--count", "2", "--port", "\(pair.port)"])
    XCTAssertEqual(r.status, 0, r.stderr)
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["katop.prom"])
    let samples = Samples(all: try parseMetrics(try String(contentsOfFile: dir + "/katop.prom", encoding: .utf8)))
    XCTAssertEqual(samples.value("katop_connections", ["state": "established"]), 2)
    XCTAssertEqual(samples.value("katop_connections", ["state": "listen"]), 1)
    let bad = try runProcess(Binaries.katop, ["export", "--textfile", dir + "/missing"])
    XCTAssertEqual(bad.status, 64)
    XCTAssertEqual(bad.stderr.split(separator: "\n").count, 1, bad.stderr)
  }

  /// Nagios exit codes: OK for a fresh connection, WARNING for CLOSE_WAIT, CRITICAL once a flow
  /// without keepalive idles past the timeout. One status line with perfdata.
  func testCheckExitCodes() throws {
    try Binaries.require(Binaries.katop)
    let pair = try LoopbackPair()
    try pair.connectClient()
    let ok = try runProcess(Binaries.katop, ["--check", "-p", "\(pair.port)", "--path", "127.0.0.0/8=60"])
    XCTAssertEqual(ok.status, 0, ok.stdout + ok.stderr)
    XCTAssertTrue(ok.stdout.hasPrefix("KATOP OK - "), ok.stdout)
    XCTAssertTrue(ok.stdout.contains("| connections=3;"), ok.stdout)
    XCTAssertEqual(ok.stdout.split(separator: "\n").count, 1)

    let fixture = try FixtureProcess(["--port", "0", "--connections", "1", "--close-wait", "1"])
    defer { fixture.stop() }
    let warn = try runProcess(Binaries.katop, ["--check", "--port", "\(fixture.port)", "--state", "close-wait"])
    XCTAssertEqual(warn.status, 1, warn.stdout + warn.stderr)
    XCTAssertTrue(warn.stdout.hasPrefix("KATOP WARNING - 1 warning (close-wait 1)"), warn.stdout)
    XCTAssertTrue(warn.stdout.contains(" warning=1;0;;0"), warn.stdout)

    Thread.sleep(forTimeInterval: 2.2)
    let critical = try runProcess(Binaries.katop, ["--check", "-p", "\(pair.port)", "--path", "127.0.0.0/8=2"])
    XCTAssertEqual(critical.status, 2, critical.stdout + critical.stderr)
    XCTAssertTrue(critical.stdout.hasPrefix("KATOP CRITICAL - 2 critical (no-keepalive 2)"), critical.stdout)
    XCTAssertTrue(critical.stdout.contains(" critical=2;;0;0"), critical.stdout)

    // Bad arguments to a plugin are UNKNOWN: exit 3, the status line on stdout, the reason on stderr.
    let bad = try runProcess(Binaries.katop, ["--check", "--port", "70000"])
    XCTAssertEqual(bad.status, 3, bad.stdout + bad.stderr)
    XCTAssertTrue(bad.stdout.hasPrefix("KATOP UNKNOWN - "), bad.stdout)
    XCTAssertEqual(bad.stdout.split(separator: "\n").count, 1)
    XCTAssertEqual(bad.stderr.split(separator: "\n").count, 1, bad.stderr)
    // Without --check a usage error stays 64.
    XCTAssertEqual(try runProcess(Binaries.katop, ["--once", "--port", "70000"]).status, 64)
  }

  /// `--summary` and `--summary --json` count the same sockets as `--once --json`.
  func testSummaryCountsEqualTheRows() throws {
    try Binaries.require(Binaries.katop)
    let pair = try LoopbackPair()
    try pair.connectClient()
    try pair.connectClient(keepalive: (30, 5, 3))
    let rows = try XCTUnwrap(try jsonObject(try runProcess(Binaries.katop, ["-1", "-j", "-p", "\(pair.port)"]).stdout)["connections"] as? [[String: Any]])
    let r = try runProcess(Binaries.katop, ["--summary", "--json", "-p", "\(pair.port)"])
    XCTAssertEqual(r.status, 0, r.stderr)
    let summary = try XCTUnwrap(try jsonObject(r.stdout)["summary"] as? [String: Any])
    XCTAssertEqual(summary["connections"] as? Int, rows.count)
    let byState = summary["byState"] as? [[String: Any]] ?? []
    XCTAssertEqual(byState.first { $0["state"] as? String == "ESTABLISHED" }?["connections"] as? Int, 4)
    XCTAssertEqual((summary["keepalive"] as? [String: Any])?["on"] as? Int, 1)
    XCTAssertEqual((summary["keepalive"] as? [String: Any])?["off"] as? Int, 3)
    let table = try runProcess(Binaries.katop, ["--summary", "--port", "\(pair.port)"])
    XCTAssertEqual(table.status, 0, table.stderr)
    XCTAssertTrue(table.stdout.contains("\nconnections: 5\n"), table.stdout)
    XCTAssertTrue(table.stdout.contains("keepalive: on 1, off 3, unknown 0"), table.stdout)
    XCTAssertFalse(table.stdout.contains("127.0.0.1:\(pair.port) "), "no rows in a summary")
  }

  /// A full disk: one line on stderr and exit 74, for every output form.
  func testWriteErrorIsOneLineAndNonZero() throws {
    try Binaries.require(Binaries.katop)
    // --port 1: the host's other sockets (other tests' fixtures) need not be collected.
    for args in [["--once"], ["--once", "--json"], ["--summary"], ["--once", "--format", "prometheus"], ["--check"], ["--print-config"]] {
      let r = try runProcess("/bin/sh", ["-c", "exec \"$0\" \"$@\" --port 1 > /dev/full", Binaries.katop] + args)
      XCTAssertEqual(r.status, 74, "\(args): \(r.stderr)")
      XCTAssertEqual(r.stderr, "katop: cannot write to standard output: No space left on device\n", "\(args)")
    }
  }

  /// Bad report options: one line on stderr, exit 64, nothing on stdout.
  func testBadReportOptionsGetOneLineErrors() throws {
    try Binaries.require(Binaries.katop)
    let cases: [([String], String)] = [
      (["--format", "prometheus"], "--format needs --once"),
      (["--once", "--format", "xml"], "xml"),
      (["--once", "--json", "--format", "prometheus"], "disagree"),
      (["--check", "--json"], "--check"),
      (["--check", "--summary"], "exclude each other"),
      (["--summary", "--once", "--format", "json"], "--format is for --once reports"),
      (["--summary", "--top", "-1"], "--top"),
      (["-p", "0", "--once"], "port"),
      (["-d", "0"], "0"),
      (["export"], "--textfile"),
      (["export", "--textfile", "/nonexistent"], "not a directory"),
      (["export", "--textfile", "/tmp", "--count", "0"], "--count"),
      (["export", "--textfile", "/tmp", "--name", "../x"], "--name"),
    ]
    for (args, mention) in cases {
      let r = try runProcess(Binaries.katop, args)
      // A plugin's usage error is UNKNOWN with its status line (docs/check.md); others exit 64 silently on stdout.
      let plugin = args.contains("--check")
      XCTAssertEqual(r.status, plugin ? 3 : 64, "\(args): \(r.stderr)")
      XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, "\(args): \(r.stderr)")
      XCTAssertTrue(r.stderr.hasPrefix("katop: ") && r.stderr.contains(mention), "\(args): \(r.stderr) should mention \(mention)")
      if plugin {
        XCTAssertTrue(r.stdout.hasPrefix("KATOP UNKNOWN - ") && r.stdout.contains(mention), "\(args): \(r.stdout)")
      } else {
        XCTAssertEqual(r.stdout, "", "\(args)")
      }
    }
  }
}
