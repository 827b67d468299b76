// Every bad command line gets one line on stderr and a non-zero exit.
import Foundation
import XCTest

final class BadInputTests: XCTestCase {
  func testBadArgumentsGetOneLineErrors() throws {
    try Binaries.require(Binaries.katop)
    let cases: [([String], String)] = [
      (["--once", "--port", "abc"], "abc"),
      (["--once", "--port", "70000"], "70000"),
      (["--once", "--port", "0"], "port"),
      (["--once", "--port", "80,"], "port"),
      (["--once", "--port"], "--port"),
      (["--once", "--profile", "nowhere"], "nowhere"),
      (["--once", "--idle-timeout", "-5"], "-5"),
      (["--once", "--idle-timeout=-5"], "-5"),
      (["--once", "--idle-timeout", "nan"], "nan"),
      (["--once", "--idle-timeout", "inf"], "inf"),
      (["--once", "--idle-timeout"], "--idle-timeout"),
      (["--once", "--state", "sleepy"], "sleepy"),
      (["--once", "--sort", "colour"], "colour"),
      (["--once", "--source", "carrier-pigeon"], "carrier-pigeon"),
      (["--interval", "0"], "0"),
      (["--json"], "--once"),
      (["--interval", "abc"], "abc"),
      (["--interval", "9999"], "9999"),
      (["--once", "--risky=yes"], "--risky"),
      (["--once", "--reverse=1"], "--reverse"),
      (["--once", "--no-owners=x"], "--no-owners"),
      (["--no-color=1"], "--no-color"),
      (["--ascii=1"], "--ascii"),
      (["--once", "--sort"], "--sort"),
      (["--once", "--state"], "--state"),
      (["--once", "--profile"], "--profile"),
      (["--once", "--source"], "--source"),
      (["--theme"], "--theme"),
      (["--bogus"], "--bogus"),
      (["--columns", "local,bogus"], "unknown column 'bogus'"),
      (["--columns", ","], "no column named"),
    ]
    for (args, mention) in cases {
      let r = try runProcess(Binaries.katop, args)
      XCTAssertNotEqual(r.status, 0, "\(args) should fail")
      let lines = r.stderr.split(separator: "\n")
      XCTAssertEqual(lines.count, 1, "\(args): stderr was\n\(r.stderr)")
      XCTAssertTrue(r.stderr.hasPrefix("katop: "), "\(args): \(r.stderr)")
      XCTAssertTrue(r.stderr.contains(mention), "\(args): \(r.stderr) should mention \(mention)")
      XCTAssertEqual(r.stdout, "", "\(args)")
    }
  }

  func testHelpAndVersionSucceed() throws {
    try Binaries.require(Binaries.katop)
    let help = try runProcess(Binaries.katop, ["--help"])
    XCTAssertEqual(help.status, 0)
    XCTAssertTrue(help.stdout.contains("--port"))
    let version = try runProcess(Binaries.katop, ["--version"])
    XCTAssertEqual(version.status, 0)
    XCTAssertTrue(version.stdout.contains("katop"))
  }
}
