import KatopModel
import XCTest
@testable import KatopUI

final class RendererTests: XCTestCase {
  func testMainTable80x24() {
    let screen = Fixtures.render(Fixtures.state(), width: 80, height: 24)
    Snapshots.assertScreen(screen, named: "table-80x24")
    // Required columns survive 80 columns.
    let titles = screen.text(row: 4)
    for title in ["Local", "Remote", "State", "Idle", "KA", "Risk"] {
      XCTAssertTrue(titles.contains(title), "missing column \(title) in |\(titles)|")
    }
  }

  func testMainTable120x40() {
    let screen = Fixtures.render(Fixtures.state(width: 120, height: 40), width: 120, height: 40)
    Snapshots.assertScreen(screen, named: "table-120x40")
    let titles = screen.text(row: 4)
    for title in ["Owner", "Timer", "Detect", "User"] {
      XCTAssertTrue(titles.contains(title), "missing column \(title) in |\(titles)|")
    }
    let wider = Fixtures.render(Fixtures.state(width: 140, height: 40), width: 140, height: 40).text(row: 4)
    XCTAssertTrue(wider.contains("Settings"), wider)
  }

  /// Collector notes sit under the header, two lines at most; the last says how many are hidden.
  func testNotesOverflowSaysHowManyAreHidden() {
    var state = AppState()
    var status = CollectorStatus()
    status.notes = [.procRequested, .dumpInterrupted, .notPrivileged, .ipv6ProcMissing(path: "/proc/net/tcp6")]
    state.apply(connections: Fixtures.connections, system: Fixtures.system, status: status, now: 10_000)
    state.setScreenSize(height: 24)
    let screen = Fixtures.render(state, width: 80, height: 24)
    XCTAssertEqual(screen.text(row: 3).trimmingCharacters(in: .whitespaces), CollectorNote.procRequested.text)
    XCTAssertTrue(screen.text(row: 4).hasSuffix("(+2 more notes: katop --once)"), screen.text(row: 4))
    XCTAssertTrue(screen.text(row: 4).hasPrefix("sock_diag dump interrupted"), screen.text(row: 4))
    XCTAssertTrue(screen.text(row: 5).contains("Local"), screen.text(row: 5))
  }

  func testPortFilteredTableAscii() {
    let state = Fixtures.state(filter: ConnectionFilter(ports: [3306]))
    let screen = Fixtures.render(state, width: 80, height: 24, ascii: true)
    Snapshots.assertScreen(screen, named: "table-ports-3306-80x24")
    XCTAssertEqual(state.rows.count, 2)
  }

  func testDetailView() {
    var state = Fixtures.state(width: 120, height: 40)
    // Default sort is risk descending: the first row is a critical one.
    XCTAssertEqual(state.handle(.enter), .none)
    XCTAssertEqual(state.mode, .detail)
    let screen = Fixtures.render(state, width: 120, height: 40)
    Snapshots.assertScreen(screen, named: "detail-120x40")
    let text = screen.lines().joined(separator: "\n")
    XCTAssertTrue(text.contains("fix: enable SO_KEEPALIVE"))
    XCTAssertTrue(text.contains("7200s + 9 x 75s = 7875s"))
  }

  func testDetailViewScrollsAt80x24() {
    var state = Fixtures.state()
    _ = state.handle(.enter)
    let renderer = Renderer()
    let maxScroll = renderer.maxPageScroll(state, width: 80, height: 24)
    XCTAssertGreaterThan(maxScroll, 0, "the detail page should be longer than 80x24")
    _ = state.handle(.end)
    state.pageScroll = min(state.pageScroll, maxScroll)
    let screen = Fixtures.render(state, width: 80, height: 24)
    Snapshots.assertScreen(screen, named: "detail-80x24-end")
  }

  func testHelp() {
    var state = Fixtures.state(width: 120, height: 40)
    _ = state.handle(.char("?"))
    XCTAssertEqual(state.mode, .help)
    Snapshots.assertScreen(Fixtures.render(state, width: 120, height: 40), named: "help-120x40")
    _ = state.handle(.char("x"))
    XCTAssertEqual(state.mode, .table, "any other key leaves help")
  }

  func testTooSmall() {
    let screen = Fixtures.render(Fixtures.state(width: 30, height: 6), width: 30, height: 6)
    Snapshots.assertScreen(screen, named: "too-small-30x6")
    XCTAssertTrue(screen.lines().joined(separator: " ").contains("need at least 40x8"))
  }

  func testRolesOfRows() {
    let state = Fixtures.state()
    let screen = Fixtures.render(state, width: 80, height: 24)
    let roles = screen.roles
    let firstRow = 5
    XCTAssertEqual(state.selectedIndex, 0)
    XCTAssertTrue(roles[firstRow].allSatisfy { $0 == .selected }, "selected row uses the selected role")
    // Second row (critical, not selected): its Risk cell is riskCritical, KA cell keepaliveOff.
    let second = state.rows[1].connection
    XCTAssertEqual(second.worstSeverity, .critical)
    let header = screen.text(row: 4)
    let riskCol = header.range(of: "Risk").map { header.distance(from: header.startIndex, to: $0.lowerBound) }
    XCTAssertNotNil(riskCol)
    if let col = riskCol { XCTAssertEqual(roles[firstRow + 1][col], .riskCritical) }
    XCTAssertTrue(roles[firstRow + 1].contains(.keepaliveOff))
    // Footer hint keys and texts.
    XCTAssertEqual(roles[23][0], .hintKey)
    XCTAssertEqual(roles[23][2], .hintText)
  }

  func testHeaderShowsWiderRefreshSpacing() {
    var state = Fixtures.state()
    XCTAssertTrue(Fixtures.render(state, width: 120, height: 24).text(row: 0).contains("every 1s  "))
    state.cadence = RefreshCadence(rowsOnScreenMs: 2100, fullTableMs: 2100, costMs: 300)
    let line = Fixtures.render(state, width: 120, height: 24).text(row: 0)
    XCTAssertTrue(line.contains("every 1s (2.1s: refresh takes 300ms)"), line)
    // Not wider than the configured interval: nothing to explain.
    state.cadence = RefreshCadence(rowsOnScreenMs: 1000, fullTableMs: 1000, costMs: 100)
    XCTAssertFalse(Fixtures.render(state, width: 120, height: 24).text(row: 0).contains("refresh takes"))
    // Rows on screen every interval, the whole table every 4 s: both said.
    state.cadence = RefreshCadence(rowsOnScreenMs: 1000, fullTableMs: 4000, costMs: 260)
    let split = Fixtures.render(state, width: 140, height: 24).text(row: 0)
    XCTAssertTrue(split.contains("every 1s, full table every 4.0s (walk 260ms)"), split)
  }

  func testHeaderSaysHowOftenNewConnectionsAppearBetweenLookups() {
    var state = Fixtures.state(width: 120)
    var status = Fixtures.status
    status.discoveryIntervalMs = 3000
    state.apply(connections: Fixtures.connections, system: Fixtures.system, status: status, now: 11_000)
    var line = Fixtures.render(state, width: 120, height: 24).text(row: 0)
    XCTAssertTrue(line.contains("every 1s, new conns every 3s  "), line)
    // Refreshes every 2s: the walk comes at the first refresh >= 3s after the last one, 4s.
    state.intervalMs = 2000
    line = Fixtures.render(state, width: 120, height: 24).text(row: 0)
    XCTAssertTrue(line.contains("every 2s, new conns every 4s"), line)
    // Refreshes at least 3s apart: every refresh walks, nothing to say.
    state.intervalMs = 5000
    XCTAssertFalse(Fixtures.render(state, width: 120, height: 24).text(row: 0).contains("new conns"))
  }

  func testPromptShowsInFooter() {
    var state = Fixtures.state()
    _ = state.handle(.char("p"))
    for ch in "33" { _ = state.handle(.char(ch)) }
    let screen = Fixtures.render(state, width: 80, height: 24, ascii: true)
    XCTAssertEqual(screen.lines()[23], "Ports (comma-separated, empty clears): 33_")
    XCTAssertEqual(screen.roles[23][0], .prompt)
  }

  func testSortMenuBox() {
    var state = Fixtures.state()
    _ = state.handle(.function(6))
    XCTAssertEqual(state.mode, .sortMenu)
    let screen = Fixtures.render(state, width: 80, height: 24, ascii: true)
    let lines = screen.lines()
    XCTAssertTrue(lines[5].hasPrefix("+-sortable columns-"), lines[5])
    XCTAssertTrue(lines.contains { $0.hasPrefix("| Risk") })
    XCTAssertTrue(lines[23].hasPrefix("Sort by Risk"))
  }

  func testOnlyVisibleRowsAreDrawnFor100k() {
    let base = Fixtures.connections[2]
    var many: [Connection] = []
    many.reserveCapacity(100_000)
    for i in 0..<100_000 {
      many.append(base.with {
        $0.cookie = UInt64(i + 100)
        $0.local.port = UInt16(truncatingIfNeeded: 1024 + i % 60_000)
      })
    }
    var state = AppState(sort: SortOrder(column: .local, descending: false))
    state.apply(connections: many, system: Fixtures.system, status: Fixtures.status, now: 0)
    state.setScreenSize(height: 40)
    _ = state.handle(.end)
    XCTAssertEqual(state.selectedIndex, 99_999)
    let screen = Fixtures.render(state, width: 120, height: 40)
    XCTAssertTrue(screen.text(row: 1).contains("conns 100000/100000"))
    XCTAssertTrue(screen.roles[38].allSatisfy { $0 == .selected }, "last row selected at the bottom")
  }

  /// Six-digit counts at 80 columns: the severity names shorten so the last count is not cut.
  func testCountsLineFitsAt80ColumnsWithBigCounts() {
    let base = Fixtures.connections[2]
    var many: [Connection] = []
    for i in 0..<100_000 {
      many.append(base.with { $0.cookie = UInt64(i + 100) })
    }
    var state = AppState()
    state.apply(connections: many, system: Fixtures.system, status: Fixtures.status, now: 0)
    state.setScreenSize(height: 24)
    let narrow = Fixtures.render(state, width: 80, height: 24).text(row: 1).trimmingCharacters(in: .whitespaces)
    XCTAssertTrue(narrow.hasSuffix(" info"), "|\(narrow)|")
    XCTAssertTrue(narrow.contains(" crit, ") && narrow.contains(" warn, "), "|\(narrow)|")
    state.setScreenSize(height: 40)
    let wide = Fixtures.render(state, width: 120, height: 40).text(row: 1)
    XCTAssertTrue(wide.contains(" critical, ") && wide.contains(" warning, "), "|\(wide)|")
  }

  /// An overdue timer (old kernels report a huge unsigned value) reads 0ms in the timer column
  /// and on the detail page, as ConnectionText.timer and JSON show it.
  func testOverdueTimerShowsZeroLikeConnectionText() {
    let c = Fixtures.connection(
      cookie: 78, local: Fixtures.v4(10, 0, 1, 5, 40001), remote: Fixtures.v4(10, 0, 2, 10, 5432),
      keepalive: true, timer: .keepalive, timerMs: 0xFFFF_FF00)
    XCTAssertEqual(ConnectionText.timer(c), "keepalive 0ms/0")
    XCTAssertEqual(Column.timerText(c.record), "ka 0ms")
    var state = AppState()
    state.apply(connections: [c], system: Fixtures.system, status: Fixtures.status, now: 10_000)
    state.setScreenSize(height: 40)
    _ = state.handle(.enter)
    let text = Fixtures.render(state, width: 100, height: 40).lines().joined(separator: "\n")
    XCTAssertTrue(text.contains("keepalive, fires in 0ms, count 0"), text)
  }

  /// A socket whose keepalive the timers show off is read once when its detail page opens: the
  /// page shows its own settings and flags keepalive configured without SO_KEEPALIVE.
  func testDetailInspectsAKnownOffSocketOnce() {
    let c = Fixtures.connection(
      cookie: 77, local: Fixtures.v4(10, 0, 1, 5, 40000), remote: Fixtures.v4(10, 0, 2, 10, 3306),
      owner: (4242, "java"), idleMs: 200_000, keepalive: false, source: .timer)
    var state = AppState()
    state.apply(connections: [c], system: Fixtures.system, status: Fixtures.status, now: 10_000)
    state.setScreenSize(height: 40)
    XCTAssertNil(state.wantsInspection, "only on the detail page")
    _ = state.handle(.enter)
    XCTAssertEqual(state.wantsInspection?.record.cookie, 77)
    state.inspection = Inspection(
      cookie: 77, options: SocketOptions(keepalive: false, idleSeconds: 60, intervalSeconds: 10, probes: 5, userTimeoutMs: 0))
    XCTAssertNil(state.wantsInspection, "read once per row")
    var text = Fixtures.render(state, width: 100, height: 40).lines().joined(separator: "\n")
    XCTAssertTrue(text.contains("off per the kernel's timers"), text)
    XCTAssertTrue(text.contains("60/10/5 (TCP_KEEPIDLE/INTVL/CNT, read now)"), text)
    XCTAssertTrue(text.contains("configured on this socket but SO_KEEPALIVE is off"), text)
    // Same values as the sysctls: nothing configured, no warning.
    state.inspection = Inspection(
      cookie: 77, options: SocketOptions(keepalive: false, idleSeconds: 7200, intervalSeconds: 75, probes: 9, userTimeoutMs: 0))
    text = Fixtures.render(state, width: 100, height: 40).lines().joined(separator: "\n")
    XCTAssertTrue(text.contains("7200/75/9 (TCP_KEEPIDLE/INTVL/CNT, read now)"), text)
    XCTAssertFalse(text.contains("do nothing"), text)
    state.inspection = Inspection(cookie: 77, options: nil)
    text = Fixtures.render(state, width: 100, height: 40).lines().joined(separator: "\n")
    XCTAssertTrue(text.contains("could not be read"), text)
    // A socket that was read by the collector is never inspected again.
    var read = AppState()
    read.apply(connections: Fixtures.connections, system: Fixtures.system, status: Fixtures.status, now: 10_000)
    _ = read.handle(.enter)
    XCTAssertNil(read.wantsInspection)
  }
}

/// The detail page words an owner it did not find by whether katop runs as root: as root the
/// socket is held by no process it can see, so "run as root" would be wrong advice.
final class DetailOwnerWordingTests: XCTestCase {
  func text(privileged: Bool) -> String {
    var c = Fixtures.connection(cookie: 77, local: Fixtures.v4(0, 0, 0, 0, 2024), remote: Fixtures.v4(0, 0, 0, 0, 0), state: .listen)
    var record = c.record
    record.inode = 1607
    c = Connection(record: record, owner: nil, keepalive: c.keepalive, idleMs: nil, risks: [])
    let lines = Renderer(ascii: true).detailLines(TableRow(connection: c, status: .unchanged), width: 120, privileged: privileged)
    return lines.map { $0.map(\.0).joined() }.joined(separator: "\n")
  }

  func testAnOwnerNotFoundAsRootIsNotBlamedOnPrivileges() {
    XCTAssertTrue(text(privileged: true).contains("unknown (no process katop can see holds it"), text(privileged: true))
    XCTAssertFalse(text(privileged: true).contains("run as root"), text(privileged: true))
    XCTAssertTrue(text(privileged: false).contains("unknown (run as root to see every owner)"), text(privileged: false))
  }
}
