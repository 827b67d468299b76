// Issue 14: the config file ($XDG_CONFIG_HOME/katop/config) through the real binary: its
// settings apply, flags win, --print-config names each origin, a bad line is one error naming
// the file and line. Themes come from the binary's prefix or the built-ins, never from ./themes.
import Foundation
import XCTest

final class ConfigFileTests: XCTestCase {
  var home = ""

  override func setUpWithError() throws {
    try Binaries.require(Binaries.katop)
    home = NSTemporaryDirectory() + "katop-config-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    try FileManager.default.createDirectory(atPath: home + "/katop", withIntermediateDirectories: true)
    let dir = home
    addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
  }

  func run(_ config: String, _ args: [String], cwd: String? = nil) throws -> RunResult {
    try config.write(toFile: home + "/katop/config", atomically: true, encoding: .utf8)
    var env = ProcessInfo.processInfo.environment
    env["XDG_CONFIG_HOME"] = home
    if let cwd { return try runProcess("/bin/sh", ["-c", "cd \"$0\" && exec \"$@\"", cwd, Binaries.katop] + args, env: env) }
    return try runProcess(Binaries.katop, args, env: env)
  }

  func testConfigAppliesAndFlagsWin() throws {
    let config = "# fleet defaults\nprofile = azure\nsort = idle   # longest idle first\ninterval = 2.5\nowners = false\n"
    let file = home + "/katop/config"
    let printed = try run(config, ["--print-config"])
    XCTAssertEqual(printed.status, 0, printed.stderr)
    let lines = printed.stdout.split(separator: "\n").map(String.init)
    func line(_ key: String) -> String { lines.first { $0.hasPrefix(key + " = ") } ?? "" }
    XCTAssertTrue(line("profile").hasPrefix("profile = azure "), line("profile"))
    XCTAssertTrue(line("profile").hasSuffix("# \(file):2"), line("profile"))
    XCTAssertTrue(line("idle-timeout").hasPrefix("idle-timeout = 240 "), line("idle-timeout"))
    XCTAssertTrue(line("sort").hasSuffix("# \(file):3"), line("sort"))
    XCTAssertTrue(line("interval").hasPrefix("interval = 2.5 "), line("interval"))
    XCTAssertTrue(line("owners").hasPrefix("owners = false ") && line("owners").hasSuffix(":5"), line("owners"))
    XCTAssertTrue(line("reverse").hasSuffix("# default"), line("reverse"))

    let flagged = try run(config, ["--print-config", "--profile", "gcp-nat", "--sort", "owner"])
    let flaggedLines = flagged.stdout.split(separator: "\n").map(String.init)
    XCTAssertTrue(flaggedLines.contains { $0.hasPrefix("profile = gcp-nat ") && $0.hasSuffix("# command line") }, flagged.stdout)
    XCTAssertTrue(flaggedLines.contains { $0.hasPrefix("sort = owner ") && $0.hasSuffix("# command line") }, flagged.stdout)

    // The settings reach the report: the JSON names the config's profile, or the flag's.
    let json = try jsonObject(try run(config, ["--once", "--json", "--port", "1"]).stdout)
    XCTAssertEqual(((json["system"] as? [String: Any])?["profile"] as? [String: Any])?["name"] as? String, "azure")
    let json2 = try jsonObject(try run(config, ["-1", "-j", "-p", "1", "--idle-timeout", "99"]).stdout)
    XCTAssertEqual(((json2["system"] as? [String: Any])?["profile"] as? [String: Any])?["idleTimeoutSeconds"] as? Int, 99)
  }

  func testBadLineNamesFileAndLine() throws {
    let file = home + "/katop/config"
    for (text, expected) in [
      ("profile = azure\nprofil = aws\n", "\(file):2: unknown key 'profil'"),
      ("\n\nprofile = mars\n", "\(file):3: profile: unknown profile 'mars'"),
      ("interval = 0\n", "\(file):1: interval: '0' is not an interval"),
      ("reverse = maybe\n", "\(file):1: reverse: 'maybe' is not true or false"),
      ("just words\n", "\(file):1: expected 'key = value'"),
    ] {
      let r = try run(text, ["--once"])
      XCTAssertEqual(r.status, 78, r.stderr)
      XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
      XCTAssertTrue(r.stderr.hasPrefix("katop: " + expected), "\(r.stderr) vs \(expected)")
    }
  }

  /// A ./themes/light.theme in the current directory is not used: the theme resolves to the
  /// binary's own tree (a source checkout here; <prefix>/share/katop/themes when installed).
  func testThemeNotTakenFromTheCurrentDirectory() throws {
    let cwd = home + "/work"
    try FileManager.default.createDirectory(atPath: cwd + "/themes", withIntermediateDirectories: true)
    try "row = fg:chartreuse\n".write(toFile: cwd + "/themes/light.theme", atomically: true, encoding: .utf8)
    let r = try run("theme = light\n", ["--print-config"], cwd: cwd)
    XCTAssertEqual(r.status, 0, r.stderr)
    let theme = r.stdout.split(separator: "\n").first { $0.hasPrefix("theme = ") } ?? ""
    XCTAssertTrue(theme.contains("(\(repoRoot)/themes/light.theme)"), String(theme))
    let own = try run("theme = mine\n", ["--print-config"], cwd: cwd)
    try FileManager.default.createDirectory(atPath: home + "/katop/themes", withIntermediateDirectories: true)
    XCTAssertTrue(own.stdout.contains("theme = mine (compiled in)"), own.stdout)
  }
}
