// K / F9 / U: the plan asked for, the confirmation, the effect, the undo list; --readonly drops
// them from the keys, the help and the hint bar.
import KatopModel
import XCTest

@testable import KatopUI

final class ActionKeyTests: XCTestCase {
  /// The fixture state with the first row (cookie 1, pid 1234 "app", keepalive off) selected.
  func state(readonly: Bool = false, width: Int = 120) -> AppState {
    var s = Fixtures.state(width: width, height: 24)
    s.actions.readonly = readonly
    if let i = s.rows.index(ofCookie: 1) { s.select(i) }
    return s
  }

  func testKAsksNamingWhatChangesAndYCarriesItOut() throws {
    var s = state()
    XCTAssertEqual(s.handle(.char("K")), .none)
    XCTAssertEqual(s.mode, .confirm)
    XCTAssertEqual(s.actions.confirmationText, "set keepalive 300/30/5 on 1 socket of app (pid 1234)? y/N, e edits")
    let footer = Fixtures.render(s, width: 120, height: 24).lines()[23]
    XCTAssertTrue(footer.hasPrefix("set keepalive 300/30/5 on 1 socket of app (pid 1234)? y/N"), footer)
    guard case .act(let plan) = s.handle(.char("y")) else { return XCTFail("y did not act") }
    XCTAssertEqual(s.mode, .table)
    XCTAssertEqual(plan.kind, .setKeepalive)
    XCTAssertEqual(plan.items.map(\.connection.record.cookie), [1])
    XCTAssertEqual(plan.items.first?.change, KeepaliveChange(idleSeconds: 300, intervalSeconds: 30, probes: 5))

    // The results come back: the status says so and U can put the old values back.
    let before = SocketOptions(keepalive: false, idleSeconds: 7200, intervalSeconds: 75, probes: 9, userTimeoutMs: 0)
    let after = SocketOptions(keepalive: true, idleSeconds: 300, intervalSeconds: 30, probes: 5, userTimeoutMs: 0)
    s.finishAction(plan, results: [ActionResult(item: plan.items[0], outcome: .keepaliveSet(before: before, after: after))])
    XCTAssertEqual(
      s.statusMessage, "set-keepalive: 1 of 1 changed (off 7200/75/9 user-timeout 0ms -> on 300/30/5 user-timeout 0ms)")
    XCTAssertFalse(s.statusIsError)
    _ = s.handle(.char("U"))
    XCTAssertEqual(s.actions.confirmationText, "undo: set keepalive off 7200/75/9 user-timeout 0ms on 1 socket of app (pid 1234)? y/N")
    guard case .act(let undo) = s.handle(.char("y")) else { return XCTFail("y did not undo") }
    XCTAssertEqual(undo.items.first?.change, KeepaliveChange(restoring: before))
    XCTAssertTrue(s.actions.undoPlans.isEmpty, "an undo is not undone twice")
    _ = s.handle(.char("U"))
    XCTAssertEqual(s.mode, .table)
    XCTAssertEqual(s.statusMessage, "nothing to undo: no keepalive change made in this session")
  }

  func testKOffersTheValuesForTheFlowsOwnBudget() throws {
    var s = state()
    // 10.0.2.10 (the row's remote) crosses a 20 s firewall; other remotes keep the profile's 350 s.
    let rule = try PathRule.parse("10.0.2.0/24=20").get()
    s.flow = FlowContext(rules: PathRules([rule]), profile: .aws)
    _ = s.handle(.char("K"))
    XCTAssertEqual(s.actions.confirmationText, "set keepalive 15/2/5 on 1 socket of app (pid 1234)? y/N, e edits")
    _ = s.handle(.char("n"))
    s.flow = FlowContext(rules: PathRules([try PathRule.parse("192.0.2.0/24=20").get()]), profile: .aws)
    _ = s.handle(.char("K"))
    XCTAssertEqual(s.actions.confirmationText, "set keepalive 300/30/5 on 1 socket of app (pid 1234)? y/N, e edits")
  }

  /// On a group row K and F9 act on every connection of the group, and the question says so.
  func testKAndF9OnAGroupActOnItsConnections() throws {
    var s = state()
    _ = s.handle(.char("g"))
    XCTAssertTrue(s.showsGroups)
    let i = try XCTUnwrap(s.groups.firstIndex { $0.label == "900/mysqld" })
    while s.groupIndex < i { _ = s.handle(.down) }
    let members = Fixtures.connections.filter { $0.owner?.pid == 900 && $0.record.state != .listen }
    XCTAssertGreaterThan(members.count, 1, "the fixture's mysqld has several connections")
    _ = s.handle(.char("K"))
    XCTAssertEqual(s.mode, .confirm)
    XCTAssertTrue(
      s.actions.confirmationText.hasPrefix("set keepalive 300/30/5 on \(members.count) sockets of mysqld (pid 900)?"),
      s.actions.confirmationText)
    guard case .act(let plan) = s.handle(.char("y")) else { return XCTFail("y did not act") }
    XCTAssertEqual(Set(plan.items.map(\.connection.record.cookie)), Set(members.map(\.record.cookie)))
    _ = s.handle(.function(9))
    XCTAssertTrue(s.actions.confirmationText.contains("\(members.count) connections of mysqld (pid 900)"), s.actions.confirmationText)
    guard case .act(let kill) = s.handle(.char("y")) else { return XCTFail("y did not act") }
    XCTAssertEqual(kill.kind, .kill)
    XCTAssertEqual(kill.items.count, members.count)
  }

  func testAnyOtherKeyCancels() {
    var s = state()
    _ = s.handle(.function(9))
    XCTAssertEqual(s.actions.confirmationText, "end 1 connection of app (pid 1234) with SOCK_DESTROY (RST)? y/N")
    XCTAssertEqual(s.handle(.char("n")), .none)
    XCTAssertEqual(s.mode, .table)
    XCTAssertEqual(s.statusMessage, "cancelled: nothing changed")
    XCTAssertNil(s.actions.pending)
    _ = s.handle(.char("K"))
    XCTAssertEqual(s.handle(.enter), .none, "Enter is not a yes")
  }

  func testAActsOnEveryConnectedRowTheTableShows() throws {
    var s = state()
    let eligible = s.rows.indices.filter { ActionSelection().matches(s.rows[$0].connection, for: .setKeepalive) }
    XCTAssertGreaterThan(eligible.count, 1, "the fixture has several owned connections")
    XCTAssertLessThan(eligible.count, s.rows.count, "and rows katop cannot act on")
    _ = s.handle(.char("A"))
    guard case .act(let plan) = s.handle(.char("y")) else { return XCTFail("y did not act") }
    XCTAssertEqual(plan.items.map(\.connection.record.cookie), eligible.map { s.rows[$0].cookie })
    // The text filter narrows what A touches.
    var filtered = state()
    filtered.filter.text = "nothing-matches"
    filtered.rebuildRows()
    _ = filtered.handle(.char("A"))
    XCTAssertEqual(filtered.mode, .table)
    XCTAssertTrue(filtered.statusIsError)
  }

  func testAFailureIsShownAsAnError() throws {
    var s = state()
    _ = s.handle(.function(9))
    guard case .act(let plan) = s.handle(.char("Y")) else { return XCTFail("Y did not act") }
    s.finishAction(plan, results: [ActionResult(item: plan.items[0], outcome: .failed(reason: "process 1234 gone", before: nil))])
    XCTAssertEqual(s.statusMessage, "kill: 0 of 1 ended: not changed: process 1234 gone")
    XCTAssertTrue(s.statusIsError)
    XCTAssertTrue(s.actions.undoPlans.isEmpty)
    s.finishAction(plan, results: [ActionResult(item: plan.items[0], outcome: .ended(.sockDestroy))])
    XCTAssertEqual(s.statusMessage, "kill: 1 of 1 ended (SOCK_DESTROY)")
    XCTAssertFalse(s.statusIsError)
  }

  func testReadonlyRemovesTheKeysFromTableHelpAndHints() {
    var s = state(readonly: true)
    for key in [Key.char("K"), .char("A"), .function(9), .char("U")] {
      XCTAssertEqual(s.handle(key), .none)
      XCTAssertEqual(s.mode, .table)
      XCTAssertNil(s.actions.pending)
    }
    let footer = Fixtures.render(s, width: 120, height: 24).lines()[23]
    XCTAssertFalse(footer.contains("Keepalive") || footer.contains("F9Kill"), footer)
    XCTAssertTrue(state().render120Footer.contains("KKeepalive F9Kill"), state().render120Footer)
    _ = s.handle(.function(1))
    let help = Fixtures.render(s, width: 120, height: 60).lines().joined(separator: "\n")
    for action in [Action.setKeepalive, .setKeepaliveShown, .killConnection, .undoKeepalive] {
      let b = KeyTable.binding(for: action)
      XCTAssertFalse(help.contains(b?.help ?? "?"), "help lists \(action) under --readonly")
    }
    XCTAssertTrue(help.contains("show this help"))
    XCTAssertEqual(KeyTable.bindings(readonly: true).count, KeyTable.bindings.count - 4)
  }

  func testKOnARowKatopCannotActOnSaysWhy() throws {
    var s = Fixtures.state(width: 120, height: 24)
    let listen = try XCTUnwrap(s.rows.indices.first { s.rows[$0].connection.record.state == .listen || s.rows[$0].connection.owner == nil })
    s.select(listen)
    _ = s.handle(.char("K"))
    XCTAssertEqual(s.mode, .table)
    XCTAssertTrue(s.statusIsError)
    XCTAssertTrue(s.statusMessage?.hasPrefix("K needs a connected socket") ?? false, s.statusMessage ?? "")
  }
}

extension AppState {
  var render120Footer: String { Fixtures.render(self, width: 120, height: 24).lines()[23] }
}

final class KeepaliveFormTests: XCTestCase {
  func confirming() -> AppState {
    var s = Fixtures.state(width: 120, height: 24)
    if let i = s.rows.index(ofCookie: 1) { s.select(i) }
    _ = s.handle(.char("K"))
    return s
  }

  func type(_ text: String, into s: inout AppState) {
    for c in text { _ = s.handle(.char(c)) }
  }

  func testEEditsTheValuesThenAsksAgain() throws {
    var s = confirming()
    XCTAssertEqual(s.actions.confirmationText, "set keepalive 300/30/5 on 1 socket of app (pid 1234)? y/N, e edits")
    _ = s.handle(.char("e"))
    XCTAssertEqual(s.mode, .prompt(.keepaliveValues))
    XCTAssertEqual(s.promptText, "300/30/5")
    let footer = Fixtures.render(s, width: 120, height: 24).lines()[23]
    XCTAssertTrue(footer.hasPrefix("Keepalive idle/interval/count[/user-timeout ms] (Enter asks again, Esc back): 300/30/5"), footer)
    type("60/10/4/30000", into: &s)  // typing replaces the prefilled text
    _ = s.handle(.enter)
    XCTAssertEqual(s.mode, .confirm)
    XCTAssertEqual(s.actions.confirmationText, "set keepalive 60/10/4 user-timeout 30000ms on 1 socket of app (pid 1234)? y/N, e edits")
    guard case .act(let plan) = s.handle(.char("y")) else { return XCTFail("y did not act") }
    XCTAssertEqual(plan.items.first?.change, KeepaliveChange(idleSeconds: 60, intervalSeconds: 10, probes: 4, userTimeoutMs: 30_000))
  }

  func testABadValueSaysWhyAndStaysInTheForm() {
    var s = confirming()
    _ = s.handle(.char("e"))
    type("0/10/4", into: &s)
    _ = s.handle(.enter)
    XCTAssertEqual(s.mode, .prompt(.keepaliveValues))
    XCTAssertEqual(s.statusMessage, "idle must be 1-32767 seconds, got 0")
    XCTAssertTrue(s.statusIsError)
    _ = s.handle(.backspace)
    _ = s.handle(.escape)
    XCTAssertEqual(s.mode, .confirm, "Esc goes back to the question")
    XCTAssertEqual(s.actions.pending?.items.first?.change, KeepaliveChange(idleSeconds: 300, intervalSeconds: 30, probes: 5))
    // Esc in the text filter still clears it (the form's Esc is its own).
    var t = Fixtures.state(width: 120, height: 24)
    _ = t.handle(.char("/"))
    type("app", into: &t)
    _ = t.handle(.escape)
    XCTAssertEqual(t.mode, .table)
    XCTAssertEqual(t.filter.text, "")
  }

  func testParse() {
    XCTAssertEqual(try? KeepaliveChange.parse("300/30/5").get(), KeepaliveChange(idleSeconds: 300, intervalSeconds: 30, probes: 5))
    XCTAssertEqual(try? KeepaliveChange.parse(" 60 / 10 / 4 / 0 ").get(), KeepaliveChange(idleSeconds: 60, intervalSeconds: 10, probes: 4, userTimeoutMs: 0))
    for bad in ["", "300", "300/30", "a/b/c", "1/2/3/4/5", "300/30/128"] {
      if case .success = KeepaliveChange.parse(bad) { XCTFail("'\(bad)' parsed") }
    }
    XCTAssertEqual(KeepaliveChange.editText(KeepaliveChange(idleSeconds: 1, intervalSeconds: 2, probes: 3, userTimeoutMs: 4)), "1/2/3/4")
  }
}
