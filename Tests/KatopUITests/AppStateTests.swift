import KatopModel
import XCTest
@testable import KatopUI

final class AppStateTests: XCTestCase {
  func testPortPromptRecollectsWithPorts() {
    var state = Fixtures.state()
    XCTAssertEqual(state.handle(.char("p")), .none)
    XCTAssertEqual(state.mode, .prompt(.ports))
    for ch in "3306" { XCTAssertEqual(state.handle(.char(ch)), .none) }
    let effect = state.handle(.enter)
    XCTAssertEqual(state.filter.ports, [3306])
    XCTAssertEqual(state.mode, .table)
    XCTAssertEqual(effect, .recollect(CollectRequest(ports: [3306])))
    // Until new data arrives the old rows are filtered locally.
    XCTAssertEqual(state.rows.count, 2)
    // Same ports again: nothing to do.
    _ = state.handle(.char("p"))
    XCTAssertEqual(state.promptText, "3306")
    XCTAssertEqual(state.handle(.enter), .none)
    // Empty clears.
    _ = state.handle(.char("p"))
    _ = state.handle(.backspace)  // clears the selected pre-filled ports
    XCTAssertEqual(state.promptText, "")
    XCTAssertEqual(state.handle(.enter), .recollect(CollectRequest(ports: [])))
    XCTAssertEqual(state.rows.count, 8)
  }

  /// The prompt opens with the current ports selected: typing replaces them (the workflow
  /// "p, 3306, Enter" works whatever the filter was), Right keeps them for editing.
  func testPortPromptTypingReplacesCurrentPorts() {
    var state = Fixtures.state()
    _ = state.handle(.char("p"))
    for ch in "80,443" { _ = state.handle(.char(ch)) }
    _ = state.handle(.enter)
    XCTAssertEqual(state.filter.ports, [80, 443])
    _ = state.handle(.char("p"))
    XCTAssertTrue(state.promptPrefilled)
    for ch in "3306" { _ = state.handle(.char(ch)) }
    XCTAssertEqual(state.promptText, "3306")
    XCTAssertEqual(state.handle(.enter), .recollect(CollectRequest(ports: [3306])))
    _ = state.handle(.char("p"))
    _ = state.handle(.right)
    for ch in ",22" { _ = state.handle(.char(ch)) }
    XCTAssertEqual(state.promptText, "3306,22")
    _ = state.handle(.enter)
    XCTAssertEqual(state.filter.ports, [3306, 22])
  }

  func testBadPortKeepsPromptAndShowsError() {
    var state = Fixtures.state()
    _ = state.handle(.char("p"))
    for ch in "80,99999" { _ = state.handle(.char(ch)) }
    XCTAssertEqual(state.handle(.enter), .none)
    XCTAssertEqual(state.mode, .prompt(.ports))
    XCTAssertTrue(state.statusIsError)
    XCTAssertEqual(state.statusMessage, "'99999' is not a port (1-65535): use comma-separated ports")
    XCTAssertEqual(state.filter.ports, [])
    XCTAssertEqual(state.handle(.escape), .none)
    XCTAssertEqual(state.mode, .table)
    XCTAssertEqual(AppState.parsePorts("443, 80 443"), .success([443, 80]))
  }

  func testTextFilterIsLiveAndEscClears() {
    var state = Fixtures.state()
    _ = state.handle(.char("/"))
    for ch in "mysql" { _ = state.handle(.char(ch)) }
    XCTAssertEqual(state.filter.text, "mysql")
    XCTAssertEqual(state.rows.count, 2)
    _ = state.handle(.enter)
    XCTAssertEqual(state.mode, .table)
    XCTAssertEqual(state.rows.count, 2)
    // Esc in the table clears the text filter.
    _ = state.handle(.escape)
    XCTAssertEqual(state.filter.text, "")
    XCTAssertEqual(state.rows.count, 8)
    // F3 opens the same prompt; Esc there clears too.
    _ = state.handle(.function(3))
    XCTAssertEqual(state.mode, .prompt(.text))
    _ = state.handle(.char("x"))
    _ = state.handle(.escape)
    XCTAssertEqual(state.filter.text, "")
  }

  func testRiskyOnlyAndProfileCycle() {
    var state = Fixtures.state()
    _ = state.handle(.char("r"))
    XCTAssertTrue(state.filter.riskyOnly)
    XCTAssertEqual(state.rows.count, 4)
    XCTAssertEqual(state.handle(.char("!")), .none)
    XCTAssertEqual(state.profile.name, "azure")
  }

  func testSortKeys() {
    var state = Fixtures.state()
    XCTAssertEqual(state.sort.column, .risk)
    _ = state.handle(.char(">"))
    XCTAssertEqual(state.sort.column, .local)
    _ = state.handle(.char("<"))
    _ = state.handle(.char("<"))
    XCTAssertEqual(state.sort.column, .detect)
    _ = state.handle(.char("I"))
    XCTAssertFalse(state.sort.descending)
    // Sort menu: F6, move to Idle, Enter.
    _ = state.handle(.function(6))
    XCTAssertEqual(state.mode, .sortMenu)
    let idle = SortColumn.allCases.firstIndex(of: .idle) ?? 0
    let detect = SortColumn.allCases.firstIndex(of: .detect) ?? 0
    for _ in 0..<(detect - idle) { _ = state.handle(.up) }
    _ = state.handle(.enter)
    XCTAssertEqual(state.sort.column, .idle)
    XCTAssertEqual(state.mode, .table)
    // Ascending idle: first row has the smallest idle among rows with one.
    XCTAssertEqual(state.rows.last?.connection.idleMs, 7_860_000)
  }

  func testSelectionFollowsCookieAcrossReorderedApply() {
    var state = Fixtures.state()
    _ = state.handle(.down)
    _ = state.handle(.down)
    let cookie = state.selectedCookie
    XCTAssertNotNil(cookie)
    var reordered = Array(Fixtures.connections.reversed())
    // Make the selected connection sort first now.
    if let i = reordered.firstIndex(where: { $0.record.cookie == cookie }) {
      reordered[i] = reordered[i].with(idleMs: 99_000_000)
      reordered[i].risks = [Fixtures.noKeepalive]
    }
    state.apply(connections: reordered, system: Fixtures.system, status: Fixtures.status, now: 11_000)
    XCTAssertEqual(state.selectedCookie, cookie)
    XCTAssertEqual(state.selectedIndex, 0)
    XCTAssertEqual(state.selectedRow?.cookie, cookie)
  }

  func testSelectionClampsWhenSocketVanishes() {
    var state = Fixtures.state()
    _ = state.handle(.end)
    XCTAssertEqual(state.selectedIndex, 7)
    let last = state.selectedCookie
    let remaining = Fixtures.connections.filter { $0.record.cookie != last }
    state.apply(connections: remaining, system: Fixtures.system, status: Fixtures.status, now: 11_000)
    XCTAssertEqual(state.selectedCookie, last, "closed row lingers and stays selected")
    XCTAssertEqual(state.selectedRow?.status, .closed)
    state.tick(now: 11_000 + AppState.highlightMs)
    XCTAssertEqual(state.rows.count, 7)
    XCTAssertEqual(state.selectedIndex, 6, "index clamped to the new last row")
    XCTAssertNotEqual(state.selectedCookie, last)
  }

  func testNewRowHighlightExpires() {
    var state = Fixtures.state()
    XCTAssertTrue(state.rows.allSatisfy { $0.status == .unchanged }, "the first snapshot is a baseline")
    let added = Fixtures.connections[2].with { $0.cookie = 99 }
    state.apply(connections: Fixtures.connections + [added], system: Fixtures.system, status: Fixtures.status, now: 20_000)
    XCTAssertEqual(state.rows.first { $0.cookie == 99 }?.status, .new)
    XCTAssertFalse(state.tick(now: 22_000))
    XCTAssertEqual(state.rows.first { $0.cookie == 99 }?.status, .new)
    XCTAssertTrue(state.tick(now: 23_000))
    XCTAssertEqual(state.rows.first { $0.cookie == 99 }?.status, .unchanged)
    let screen = Fixtures.render(state, width: 80, height: 24)
    XCTAssertFalse(screen.roles.joined().contains(.newRow))
  }

  func testClosedRowsLingerThenVanish() {
    var state = Fixtures.state()
    let gone = Fixtures.connections[7].record.cookie
    state.apply(connections: Array(Fixtures.connections.prefix(7)), system: Fixtures.system, status: Fixtures.status, now: 30_000)
    XCTAssertEqual(state.rows.count, 8)
    XCTAssertEqual(state.rows.first { $0.cookie == gone }?.status, .closed)
    XCTAssertEqual(state.counts.total, 7, "counts ignore lingering rows")
    let screen = Fixtures.render(state, width: 80, height: 24)
    XCTAssertTrue(screen.roles.joined().contains(.closedRow))
    // Still there at the next refresh within the window.
    state.apply(connections: Array(Fixtures.connections.prefix(7)), system: Fixtures.system, status: Fixtures.status, now: 31_000)
    XCTAssertEqual(state.rows.count, 8)
    state.tick(now: 33_000)
    XCTAssertEqual(state.rows.count, 7)
    XCTAssertNil(state.rows.first { $0.cookie == gone })
  }

  func testPortChangeMakesNextSnapshotABaseline() {
    var state = Fixtures.state()
    _ = state.handle(.char("p"))
    for ch in "22" { _ = state.handle(.char(ch)) }
    _ = state.handle(.enter)
    state.apply(connections: [Fixtures.connections[3]], system: Fixtures.system, status: Fixtures.status, now: 40_000)
    XCTAssertEqual(state.rows.count, 1)
    XCTAssertEqual(state.rows[0].status, .unchanged)
  }

  func testIntervalPauseQuitAndPaging() {
    var state = Fixtures.state()
    _ = state.handle(.char("+"))
    XCTAssertEqual(state.intervalMs, 2000)
    for _ in 0..<10 { _ = state.handle(.char("+")) }
    XCTAssertEqual(state.intervalMs, 10_000)
    for _ in 0..<20 { _ = state.handle(.char("-")) }
    XCTAssertEqual(state.intervalMs, 250)
    _ = state.handle(.char(" "))
    XCTAssertTrue(state.paused)
    _ = state.handle(.pageDown)
    XCTAssertEqual(state.selectedIndex, 7)
    _ = state.handle(.home)
    XCTAssertEqual(state.selectedIndex, 0)
    _ = state.handle(.up)
    XCTAssertEqual(state.selectedIndex, 0)
    XCTAssertEqual(state.handle(.char("q")), .quit)
    XCTAssertEqual(state.handle(.function(10)), .quit)
  }

  /// The lookups' discovery interval follows the refresh interval keys (3 refreshes per walk),
  /// and stays off when the base request does not ask for lookups.
  func testDiscoveryIntervalFollowsTheRefreshInterval() {
    var state = AppState(
      filter: ConnectionFilter(ports: [3306]), intervalMs: 1000, baseRequest: CollectRequest(discoveryIntervalMs: 1))
    XCTAssertEqual(state.collectRequest.discoveryIntervalMs, 3000)
    XCTAssertEqual(state.collectRequest.ports, [3306])
    _ = state.handle(.char("+"))
    XCTAssertEqual(state.collectRequest.discoveryIntervalMs, 6000)
    _ = state.handle(.char("-"))
    _ = state.handle(.char("-"))
    XCTAssertEqual(state.collectRequest.discoveryIntervalMs, 1500)
    XCTAssertNil(AppState(intervalMs: 1000).collectRequest.discoveryIntervalMs)
  }

  func testScrollKeepsSelectionVisible() {
    var state = Fixtures.state(width: 80, height: 10)
    XCTAssertEqual(state.pageSize, 10 - 3 - 1 - 2)
    _ = state.handle(.end)
    XCTAssertEqual(state.scroll, 8 - state.pageSize)
    let screen = Fixtures.render(state, width: 80, height: 10)
    XCTAssertTrue(screen.roles[8].allSatisfy { $0 == .selected })
  }

  func testPresortedApplyMergesClosedRowsInOrder() {
    var state = Fixtures.state()
    var next = Array(Fixtures.connections.dropFirst(2))  // cookies 1 and 2 close
    let added = Fixtures.connections[2].with { $0.cookie = 50 }
    next.append(added)
    state.sort.sort(&next)
    state.apply(connections: next, system: Fixtures.system, status: Fixtures.status, now: 50_000)
    var expected = next + Array(Fixtures.connections.prefix(2))
    state.sort.sort(&expected)
    XCTAssertEqual(state.rows.map(\.cookie), expected.map(\.record.cookie))
    XCTAssertEqual(state.rows.filter { $0.status == .closed }.count, 2)
    XCTAssertEqual(state.shownClosed, 2)
    let header = Fixtures.render(state, width: 80, height: 24).text(row: 1)
    XCTAssertTrue(header.hasPrefix("conns 7/7 "), header)
  }

  /// Lingering closed rows merged into the table land where sorting everything would put them.
  func testClosedRowsMergeLikeAFullSort() {
    for column in [SortColumn.idle, .local, .owner, .detect, .risk] {
      for descending in [false, true] {
        var state = Fixtures.state()
        state.sort = SortOrder(column: column, descending: descending)
        state.rebuildRows()
        let open = Fixtures.connections.enumerated().filter { $0.offset % 3 != 1 }.map(\.element)
        state.apply(connections: open, system: Fixtures.system, status: Fixtures.status, now: 60_000)
        var expected = Fixtures.connections
        state.sort.sort(&expected)
        XCTAssertEqual(state.rows.map(\.cookie), expected.map(\.record.cookie), "\(column) descending \(descending)")
        XCTAssertEqual(state.rows.filter { $0.status == .closed }.count, Fixtures.connections.count - open.count)
      }
    }
  }

  /// A partial refresh (lookups of the rows on screen) re-places only its rows: the order is the
  /// one a full rebuild gives.
  func testPartialRefreshKeepsTheSortedOrder() {
    for sort in [SortOrder(column: .idle, descending: true), SortOrder(column: .risk), SortOrder(column: .local, descending: false)] {
      var state = AppState(sort: sort)
      state.apply(connections: Fixtures.connections, system: Fixtures.system, status: Fixtures.status, now: 10_000)
      let changed = [
        Fixtures.connections[5].with(idleMs: 99_000_000), Fixtures.connections[1].with(idleMs: 0),
      ]
      state.apply(connections: changed, system: Fixtures.system, status: Fixtures.status, now: 11_000, coverage: .partial)
      XCTAssertNotNil(state.store.lastPartialChanges)
      var full = state
      full.rebuildRows()
      XCTAssertEqual(state.rows.map(\.cookie), full.rows.map(\.cookie), "\(sort)")
      XCTAssertEqual(state.rows.count, Fixtures.connections.count)
    }
  }

  /// The header's counts line adds how the TcpExt keepalive counters moved over the last refresh,
  /// only when they moved (the first refresh has nothing to compare with).
  func testHeaderShowsTheTcpExtCountersThatMoved() {
    var state = AppState()
    var system = Fixtures.system
    system.keepaliveProbesSent = 100
    system.abortOnTimeout = 7
    state.apply(connections: Fixtures.connections, system: system, now: 1000)
    state.setScreenSize(height: 24)
    XCTAssertEqual(state.tcpExtDelta, TcpExtDelta())
    XCTAssertFalse(Fixtures.render(state, width: 120, height: 24).text(row: 1).contains("TcpExt"))
    system.keepaliveProbesSent = 103
    system.abortOnTimeout = 8
    state.apply(connections: Fixtures.connections, system: system, now: 2000)
    XCTAssertEqual(state.tcpExtDelta.keepaliveProbes, 3)
    XCTAssertEqual(state.tcpExtDelta.abortsOnTimeout, 1)
    let line = Fixtures.render(state, width: 120, height: 24).text(row: 1)
    XCTAssertTrue(line.contains("1 info  TcpExt +3 ka probes +1 timeout aborts"), line)
    // Nothing moved: nothing said.
    state.apply(connections: Fixtures.connections, system: system, now: 3000)
    XCTAssertTrue(state.tcpExtDelta.isZero)
    XCTAssertFalse(Fixtures.render(state, width: 120, height: 24).text(row: 1).contains("TcpExt"))
    // Too narrow for it: the counts keep their room.
    system.keepaliveProbesSent = 110
    state.apply(connections: Fixtures.connections, system: system, now: 4000)
    XCTAssertFalse(Fixtures.render(state, width: 80, height: 24).text(row: 1).contains("TcpExt"))
  }
}
