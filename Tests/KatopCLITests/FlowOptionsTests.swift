// The flow-budget options of the real binary: profile auto from fake DMI directories
// (KATOP_DMI_DIR), --path on loopback flows, and bad --path / --observe input.
import Foundation
import XCTest

final class FlowOptionsTests: XCTestCase {
  func dmiDir(_ files: [String: String]) throws -> String {
    var template = Array((NSTemporaryDirectory() + "/katop-dmi-\(getpid())-XXXXXX").utf8CString)
    guard let dir = mkdtemp(&template) else { throw POSIXError(.EACCES) }
    let path = String(cString: dir)
    addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
    for (name, value) in files { try (value + "\n").write(toFile: path + "/" + name, atomically: true, encoding: .utf8) }
    return path
  }

  func profile(dmi: [String: String], args: [String] = []) throws -> [String: Any] {
    try Binaries.require(Binaries.katop)
    var env = ProcessInfo.processInfo.environment
    env["KATOP_DMI_DIR"] = try dmiDir(dmi)
    let r = try runProcess(Binaries.katop, ["--once", "--json", "--port", "1"] + args, env: env)
    XCTAssertEqual(r.status, 0, r.stderr)
    let system = try XCTUnwrap(try jsonObject(r.stdout)["system"] as? [String: Any])
    return try XCTUnwrap(system["profile"] as? [String: Any])
  }

  func testProfileAutoFromDMI() throws {
    let cases: [([String: String], String?, Int, String)] = [
      (["sys_vendor": "Amazon EC2", "product_name": "m6i.large"], "aws", 350, "dmi: Amazon EC2"),
      (["sys_vendor": "Xen", "bios_version": "4.2.amazon"], "aws", 350, "dmi: Xen, bios 4.2.amazon"),
      (
        ["sys_vendor": "Microsoft Corporation", "product_name": "Virtual Machine", "chassis_asset_tag": "7783-7084-3265-9085-8269-3286-77"],
        "azure", 240, "dmi: Microsoft Corporation, Azure asset tag"
      ),
      (["sys_vendor": "Google", "product_name": "Google Compute Engine"], "gcp-vpc", 600, "dmi: Google Compute Engine"),
      (["sys_vendor": "QEMU", "product_name": "Standard PC (Q35 + ICH9, 2009)"], nil, 350, "no cloud detected"),
    ]
    for (files, detected, seconds, from) in cases {
      let p = try profile(dmi: files)
      XCTAssertEqual(p["detected"] as? String, detected, "\(files)")
      XCTAssertEqual(p["idleTimeoutSeconds"] as? Int, seconds, "\(files)")
      XCTAssertEqual(p["detectedFrom"] as? String, from, "\(files)")
    }
    // An explicit profile is not detected.
    let named = try profile(dmi: ["sys_vendor": "Amazon EC2"], args: ["--profile", "aws-alb"])
    XCTAssertTrue(named["detected"] is NSNull)
    XCTAssertEqual(named["keepaliveRefreshes"] as? Bool, false)
  }

  func testLoopbackFlowsHaveNoBudgetUnlessAPathRuleNamesThem() throws {
    try Binaries.require(Binaries.katop)
    let pair = try LoopbackPair()
    try pair.connectClient()
    func flows(_ args: [String]) throws -> [[String: Any]] {
      let r = try runProcess(Binaries.katop, ["--once", "--json", "--port", "\(pair.port)", "--state", "established"] + args)
      XCTAssertEqual(r.status, 0, r.stderr)
      return (try jsonObject(r.stdout)["connections"] as? [[String: Any]] ?? []).compactMap { $0["flow"] as? [String: Any] }
    }
    let plain = try flows([])
    XCTAssertEqual(plain.count, 2)
    for f in plain {
      XCTAssertEqual(f["budget"] as? String, "none")
      XCTAssertTrue(f["cutInMs"] is NSNull)
    }
    let ruled = try flows(["--path", "127.0.0.0/8=20", "--path", "127.0.0.1/32=azure"])
    XCTAssertEqual(ruled.count, 2)
    for f in ruled {
      XCTAssertEqual(f["budget"] as? String, "path")
      XCTAssertEqual(f["timeoutSeconds"] as? Int, 240, "longest prefix wins")
      let cut = try XCTUnwrap(f["cutInMs"] as? Int)
      let idle = try XCTUnwrap(f["idleMs"] as? Int)
      XCTAssertEqual(cut, 240_000 - idle)
    }
  }

  /// Which end each socket is, from the listeners of the same collection: the accepted end
  /// (local port = the listener's) is the server, the connecting end the client; the listener
  /// itself has no side; with a state filter that leaves LISTEN out no side is claimed.
  func testSideOfEachEndFromTheListeners() throws {
    try Binaries.require(Binaries.katop)
    let pair = try LoopbackPair()
    try pair.connectClient()
    func sides(_ args: [String]) throws -> [String: [String]] {
      let r = try runProcess(Binaries.katop, ["--once", "--json", "--port", "\(pair.port)"] + args)
      XCTAssertEqual(r.status, 0, r.stderr)
      var out: [String: [String]] = [:]
      for c in try jsonObject(r.stdout)["connections"] as? [[String: Any]] ?? [] {
        let state = c["state"] as? String ?? "?"
        let local = (c["local"] as? [String: Any])?["port"] as? Int
        let role = (c["flow"] as? [String: Any])?["side"] as? String ?? "null"
        out[state, default: []].append("\(local == Int(pair.port) ? "accepted" : "connecting"):\(role)")
      }
      return out.mapValues { $0.sorted() }
    }
    XCTAssertEqual(try sides([]), ["LISTEN": ["accepted:null"], "ESTABLISHED": ["accepted:server", "connecting:client"]])
    XCTAssertEqual(try sides(["--state", "established"]), ["ESTABLISHED": ["accepted:null", "connecting:null"]])
  }

  /// The HZ katop reports (system.kernelHz) is the running kernel's CONFIG_HZ, whether read from
  /// /boot/config-RELEASE or judged from the granularity of the times of the test's own sockets.
  func testKernelHZMatchesTheKernelConfig() throws {
    try Binaries.require(Binaries.katop)
    let release = try runProcess("/bin/uname", ["-r"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    let config = try runProcess("/bin/sh", ["-c", "cat /boot/config-\(release) 2>/dev/null || zcat /proc/config.gz 2>/dev/null"]).stdout
    guard let line = config.split(separator: "\n").first(where: { $0.hasPrefix("CONFIG_HZ=") }), let hz = Int(line.dropFirst(10)) else {
      throw XCTSkip("no kernel config (/boot/config-\(release), /proc/config.gz) to compare with")
    }
    let pair = try LoopbackPair()
    for _ in 0..<12 { _ = try pair.connectClient(keepalive: (600, 60, 5)) }
    Thread.sleep(forTimeInterval: 0.3)  // nonzero last_* times
    let r = try runProcess(Binaries.katop, ["--once", "--json", "--port", "\(pair.port)"])
    XCTAssertEqual(r.status, 0, r.stderr)
    let system = try XCTUnwrap(try jsonObject(r.stdout)["system"] as? [String: Any])
    let reported = try XCTUnwrap(system["kernelHz"] as? [String: Any], "\(system)")
    XCTAssertEqual(reported["hz"] as? Int, hz, "\(reported)")
    print("kernelHz \(reported) vs CONFIG_HZ=\(hz)")
  }

  func testBadPathAndObserveInputIsAUsageError() throws {
    try Binaries.require(Binaries.katop)
    for (args, message) in [
      (["--path", "198.51.100.0/24"], "CIDR=PROFILE"), (["--path", "198.51.100.0/40=20"], "address prefix"),
      (["--path", "198.51.100.0/24=nope"], "unknown profile 'nope'"), (["--once", "--observe", "0"], "between 0.5 and 600"),
      (["--observe", "2"], "--observe needs --once"),
    ] {
      let r = try runProcess(Binaries.katop, args)
      XCTAssertEqual(r.status, 64, "\(args): \(r.stderr)")
      XCTAssertTrue(r.stderr.contains(message), "\(args): \(r.stderr)")
    }
  }
}
