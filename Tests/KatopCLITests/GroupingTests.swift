// Grouping end to end: two fixture processes, `g` in a real terminal shows one row per process
// with its connections; Enter drills in; `--group process --once --json` gives the counts that
// grouping the flat JSON gives.
import Foundation
import XCTest

final class GroupingTests: XCTestCase {
  func groupRow(_ screen: String, pid: Int32) -> Substring? {
    screen.split(separator: "\n").first { $0.hasPrefix("\(pid)/katop-fixture") }
  }

  /// The number after the group's name: its connections.
  func connections(_ row: Substring) -> Int? {
    row.split(separator: " ").dropFirst().first.flatMap { Int($0) }
  }

  func testGShowsOneRowPerProcessAndEnterDrillsIn() throws {
    try Binaries.require(Binaries.katop)
    let p = try FixtureProcess(["--port", "0", "--connections", "2"])
    let q = try FixtureProcess(["--port", "0", "--connections", "3"])
    defer { p.stop(); q.stop() }
    let t = try TmuxSession(
      width: 120, height: 40,
      command: "\(Binaries.katop) --interval 0.5 --port \(p.port),\(q.port) --state established --path 127.0.0.0/8=600")
    defer { t.kill() }
    try t.waitFor("both fixtures' rows with owners") { s in
      s.components(separatedBy: "\(p.pid)/katop-fixture").count - 1 == 4
        && s.components(separatedBy: "\(q.pid)/katop-fixture").count - 1 == 6
    }
    try t.send("g")
    let grouped = try t.waitFor("one row per process") { s in
      self.groupRow(s, pid: p.pid) != nil && self.groupRow(s, pid: q.pid) != nil
    }
    XCTAssertTrue(grouped.contains("group process"), grouped)
    let rowP = try XCTUnwrap(groupRow(grouped, pid: p.pid)), rowQ = try XCTUnwrap(groupRow(grouped, pid: q.pid))
    XCTAssertEqual(connections(rowP), 4, "2 connections, both ends:\n\(grouped)")
    XCTAssertEqual(connections(rowQ), 6, "3 connections, both ends:\n\(grouped)")
    XCTAssertEqual(grouped.split(separator: "\n").filter { $0.contains("/katop-fixture") }.count, 2, grouped)
    // Enter on the first group: that process's connections only.
    let first = grouped.split(separator: "\n").first { $0.contains("/katop-fixture") }.map(String.init) ?? ""
    let firstPid: Int32 = first.hasPrefix("\(p.pid)/") ? p.pid : q.pid
    let other: Int32 = firstPid == p.pid ? q.pid : p.pid
    try t.send("Enter")
    let drilled = try t.waitFor("the group's connections") { s in
      s.contains("group process in \(firstPid)/katop-fixture") && s.contains("ESTAB")
    }
    XCTAssertFalse(drilled.contains("\(other)/katop-fixture"), drilled)
    XCTAssertEqual(
      drilled.components(separatedBy: "\(firstPid)/katop-fixture").count - 1, (firstPid == p.pid ? 4 : 6) + 1,
      "its rows and the header:\n\(drilled)")
    try t.send("Escape")
    try t.waitFor("the groups again") { self.groupRow($0, pid: other) != nil }
    try t.send("q")
    XCTAssertTrue(t.waitForExit())
  }

  func testGroupedJSONAgreesWithGroupingTheFlatJSON() throws {
    try Binaries.require(Binaries.katop)
    let p = try FixtureProcess(["--port", "0", "--connections", "2"])
    let q = try FixtureProcess(["--port", "0", "--connections", "3"])
    defer { p.stop(); q.stop() }
    let filter = ["--port", "\(p.port),\(q.port)", "--state", "established"]
    let flat = try runProcess(Binaries.katop, ["--once", "--json"] + filter)
    XCTAssertEqual(flat.status, 0, flat.stderr)
    let rows = try XCTUnwrap(try jsonObject(flat.stdout)["connections"] as? [[String: Any]])
    var expected: [Int: (total: Int, off: Int)] = [:]
    for row in rows {
      let pid = (row["owner"] as? [String: Any])?["pid"] as? Int ?? -1
      let off = ((row["keepalive"] as? [String: Any])?["enabled"] as? Bool) == false ? 1 : 0
      expected[pid, default: (0, 0)].total += 1
      expected[pid, default: (0, 0)].off += off
    }
    XCTAssertEqual(expected[Int(p.pid)]?.total, 4)
    XCTAssertEqual(expected[Int(q.pid)]?.total, 6)

    let grouped = try runProcess(Binaries.katop, ["--once", "--json", "--group", "process"] + filter)
    XCTAssertEqual(grouped.status, 0, grouped.stderr)
    let doc = try jsonObject(grouped.stdout)
    XCTAssertEqual(doc["groupBy"] as? String, "process")
    XCTAssertNil(doc["connections"])
    let groups = try XCTUnwrap(doc["groups"] as? [[String: Any]])
    var got: [Int: (total: Int, off: Int)] = [:]
    for g in groups {
      let key = g["key"] as? Int ?? -1
      got[key] = (g["connections"] as? Int ?? -1, (g["keepalive"] as? [String: Any])?["off"] as? Int ?? -1)
    }
    XCTAssertEqual(got.count, expected.count, "\(groups)")
    for (pid, e) in expected {
      XCTAssertEqual(got[pid]?.total, e.total, "pid \(pid)")
      XCTAssertEqual(got[pid]?.off, e.off, "pid \(pid)")
    }
    XCTAssertEqual(groups.first { ($0["key"] as? Int) == Int(p.pid) }?["label"] as? String, "\(p.pid)/katop-fixture")
    // The table says the same.
    let table = try runProcess(Binaries.katop, ["--once", "--group", "process"] + filter)
    XCTAssertEqual(table.status, 0, table.stderr)
    let line = table.stdout.split(separator: "\n").first { $0.hasPrefix("\(q.pid)/katop-fixture") }
    XCTAssertEqual(line.flatMap { $0.split(separator: " ").dropFirst().first }.flatMap { Int($0) }, 6, table.stdout)
  }
}
