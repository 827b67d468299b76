// The benchmark itself still works (small N). Its figures are never asserted here.
import Foundation
import Glibc
import XCTest

final class BenchmarkSmokeTests: XCTestCase {
  func testSmallBenchmarkPrintsEveryMeasure() throws {
    try Binaries.require(Binaries.katop)
    let bench = Binaries.productsDir.appendingPathComponent("katop-bench").path
    try Binaries.require(bench)
    let args = ["--connections", "1000", "--small", "20", "--runs", "1", "--tui-seconds", "1"]
    // As root, in a network namespace of its own (loopback up, nothing else): the bench then
    // measures its own 2,040 sockets, not the 100k another load may hold on this host, for which
    // each `ss -tinoap` alone takes 8 s. Without root it runs in the host's namespace.
    let r: RunResult
    if getuid() == 0, let unshare = NamespaceLab.tool("unshare"), let ip = NamespaceLab.tool("ip") {
      r = try runProcess(unshare, ["--net", "/bin/sh", "-c", "\"$0\" link set lo up && exec \"$@\"", ip, bench] + args, timeout: 600)
    } else {
      r = try runProcess(bench, args, timeout: 600)
    }
    XCTAssertEqual(r.status, 0, r.stderr)
    let lines = r.stdout.split(separator: "\n").map(String.init)
    XCTAssertTrue(lines.first?.hasPrefix("katop-bench: ") ?? false, r.stdout)
    for measure in ["vs ss -tinoap", "--no-owners vs ss -tinoa", "--port P vs ss -tinoap filter", "TUI, full table", "TUI, --port P", "first frame", "peak RSS"] {
      XCTAssertTrue(lines.contains { $0.contains(measure) }, "missing '\(measure)' in\n\(r.stdout)")
    }
    XCTAssertFalse(r.stdout.contains("FAILED"), r.stdout)
    // Every table row carries a number in katop's column.
    XCTAssertTrue(lines.contains { $0.hasPrefix("| engine target") }, "no engine targets table:\n\(r.stdout)")
    for line in lines where line.hasPrefix("| ") && !line.hasPrefix("| measure") && !line.hasPrefix("| engine target") {
      let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: CharacterSet.whitespaces) }
      XCTAssertNotNil(Double(cells[1]), "no figure in: \(line)")
    }
  }
}
