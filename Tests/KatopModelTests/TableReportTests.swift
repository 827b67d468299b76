import KatopModel
import XCTest

final class TableReportTests: XCTestCase {
  func sample() -> [Connection] {
    let v6 = Endpoint(address: .v6(hi: 0, lo: 1), port: 22)
    return [
      Fixture.connection(
        Fixture.record(timer: .keepalive, expiresMs: 42_000, idleMs: 3000, cookie: 1),
        options: Fixture.options(true, 45, 7, 3), owner: Owner(pid: 4242, command: "psql", uid: 0, fd: 3),
        profile: .custom(seconds: 2)),
      Fixture.connection(
        Fixture.record(idleMs: 400_000, inode: 2, cookie: 2, local: v6, remote: v6), profile: .custom(seconds: 2)),
      Fixture.connection(Fixture.record(state: .listen, idleMs: nil, inode: 3, cookie: 3), profile: .custom(seconds: 2)),
      Fixture.connection(
        Fixture.record(timer: .keepalive, expiresMs: 1000, idleMs: 0, inode: 4, cookie: 4),
        owner: Owner(pid: 9, command: "bad\nname", uid: 0, fd: 4), profile: .custom(seconds: 2)),
    ]
  }

  func render(width: Int? = nil) -> String {
    var s = SystemInfo()
    s.hostname = "host-a"
    s.kernel = "6.18.0"
    return TableReport.render(system: s, profile: .custom(seconds: 2), connections: sample(), width: width)
  }

  func testHeaderAndLegend() {
    let lines = render().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    XCTAssertTrue(lines[0].hasPrefix("katop - host-a - kernel 6.18.0 - source netlink"), lines[0])
    XCTAssertTrue(lines[1].contains("time 7200s intvl 75s probes 9"), lines[1])
    XCTAssertTrue(lines[2].contains("custom, idle timeout 2s"), lines[2])
    XCTAssertTrue(lines[3].contains("4 total, 3 established, 1 listen"), lines[3])
    XCTAssertTrue(lines.contains(ConnectionText.settingsLegend))
  }

  func testColumnsAlign() throws {
    let lines = render().split(separator: "\n").map(String.init)
    let headerIndex = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("Local") })
    let header = lines[headerIndex]
    let rows = Array(lines[(headerIndex + 1)...])
    XCTAssertEqual(rows.count, 4)
    // Each left-aligned column starts at its title's offset on every row.
    for title in ["Remote", "State", "Owner", "KA", "Timer", "Settings", "Risk"] {
      let offset = try XCTUnwrap(header.range(of: title)).lowerBound.utf16Offset(in: header)
      for row in rows {
        let chars = Array(row.unicodeScalars)
        XCTAssertGreaterThan(chars.count, offset, row)
        XCTAssertNotEqual(chars[offset], " ", "\(title) in \(row)")
        XCTAssertEqual(chars[offset - 1], " ", "\(title) in \(row)")
      }
    }
    XCTAssertFalse(rows.contains { $0.hasSuffix(" ") })
  }

  func testCells() {
    let rows = sample()
    XCTAssertEqual(ConnectionText.timer(rows[0]), "keepalive 42s/0")
    XCTAssertEqual(ConnectionText.settings(rows[0]), "45/7/3")
    XCTAssertEqual(ConnectionText.detect(rows[0]), "1m03s")
    XCTAssertEqual(ConnectionText.risks(rows[0]), "keepalive-too-slow")
    XCTAssertEqual(ConnectionText.owner(rows[0]), "4242/psql")
    XCTAssertEqual(ConnectionText.keepalive(rows[1]), "off")
    XCTAssertEqual(ConnectionText.settings(rows[1]), "-")
    XCTAssertEqual(ConnectionText.detect(rows[1]), "never")
    XCTAssertEqual(ConnectionText.idle(rows[1]), "6m40s")
    XCTAssertEqual(ConnectionText.timer(rows[1]), "-")
    XCTAssertEqual(ConnectionText.detect(rows[2]), "-")
    XCTAssertEqual(ConnectionText.keepalive(rows[2]), "-")
    XCTAssertEqual(ConnectionText.idle(rows[2]), "-")
    // Not read from the socket: keepidle inferred from the pending keepalive timer (0 s idle + 1 s).
    XCTAssertEqual(ConnectionText.settings(rows[3]), "1~/75/9*")
    XCTAssertEqual(ConnectionText.owner(rows[3]), "9/bad?name")
    let retransmit = Fixture.connection(Fixture.record(timer: .retransmit, expiresMs: 200, count: 3))
    XCTAssertEqual(ConnectionText.timer(retransmit), "on 200ms/3")
    XCTAssertEqual(ConnectionText.keepalive(retransmit), "?")
    let withUserTimeout = Fixture.connection(Fixture.record(idleMs: 0), options: Fixture.options(true, 60, 10, 5, userTimeoutMs: 30_000))
    XCTAssertEqual(ConnectionText.settings(withUserTimeout), "60/10/5 ut=30s")
  }

  func testWidthTruncates() {
    let lines = render(width: 40).split(separator: "\n").map(String.init)
    XCTAssertTrue(lines.allSatisfy { $0.unicodeScalars.count <= 40 })
    XCTAssertTrue(lines.contains { $0.unicodeScalars.count == 40 })
  }

  /// One counting rule for --once and the TUI: keepalive counts only where it runs, so a
  /// listener with SO_KEEPALIVE set (inherited by accepted sockets) is not counted as on.
  func testCountsKeepaliveOnlyWhereItRuns() {
    let listener = Fixture.connection(
      Fixture.record(state: .listen, idleMs: nil, inode: 7, cookie: 7), options: Fixture.options(true, 60, 10, 3))
    XCTAssertEqual(listener.keepalive.enabled, true)
    let n = ConnectionCounts(sample() + [listener])
    XCTAssertEqual(n.total, 5)
    XCTAssertEqual(n.listen, 2)
    XCTAssertEqual(n.keepaliveOn + n.keepaliveOff + n.keepaliveUnknown, 3, "only the established rows")
    XCTAssertEqual(n.atRisk(.critical), n.critical)
    var s = SystemInfo()
    s.hostname = "h"
    let line = TableReport.header(system: s, profile: .aws, connections: sample() + [listener])[3]
    XCTAssertTrue(line.contains("keepalive on \(n.keepaliveOn), off \(n.keepaliveOff), unknown \(n.keepaliveUnknown)"), line)
  }
}
