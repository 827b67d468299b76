// The TUI's actions on live sockets (docs/actions.md): K sets keepalive on the selected
// connection to the recommendation for the profile's budget, A on every connection the table
// shows, F9 ends the selected one, U undoes the last keepalive change of this session. Each asks first, naming what will change ("set keepalive
// 300/30/5 on 1 socket of php-fpm (pid 811)? y/N"); the run loop carries out a confirmed plan
// (Effect.act) and hands the results back to `finishAction`. Pure, like the rest of AppState.
import KatopModel

public struct ActionState: Sendable {
  /// --readonly: the key table has no action bindings and `askToConfirm` refuses.
  public var readonly = false
  /// The plan waiting for y / N, and whether it undoes an earlier change.
  public private(set) var pending: ActionPlan?
  public private(set) var pendingIsUndo = false
  /// Keepalive changes of this session, oldest first: each is the plan that puts the values
  /// read before the change back.
  public private(set) var undoPlans: [ActionPlan] = []

  public init(readonly: Bool = false) { self.readonly = readonly }

  /// The footer line while a plan waits: "set keepalive 300/30/5 on 1 socket of php-fpm (pid
  /// 811)? y/N, e edits".
  public var confirmationText: String {
    guard let plan = pending else { return "" }
    return (pendingIsUndo ? "undo: " : "") + plan.summary + "? y/N" + (editable ? ", e edits" : "")
  }

  /// A set-keepalive (not an undo) whose values `e` may edit.
  var editable: Bool { pending?.kind == .setKeepalive && !pendingIsUndo }

  /// The pending plan with every socket's values replaced by `change`.
  mutating func edit(_ change: KeepaliveChange) {
    guard let plan = pending else { return }
    pending = ActionPlan(kind: plan.kind, items: plan.items.map { ActionItem(connection: $0.connection, change: change) })
  }

  mutating func ask(_ plan: ActionPlan, undo: Bool) {
    pending = plan
    pendingIsUndo = undo
  }

  mutating func takePending() -> (plan: ActionPlan, undo: Bool)? {
    defer {
      pending = nil
      pendingIsUndo = false
    }
    return pending.map { ($0, pendingIsUndo) }
  }

  mutating func record(undoing results: [ActionResult]) {
    var items: [ActionItem] = []
    for r in results {
      if case .keepaliveSet(let before, _) = r.outcome {
        items.append(ActionItem(connection: r.item.connection, change: KeepaliveChange(restoring: before)))
      }
    }
    if !items.isEmpty { undoPlans.append(ActionPlan(kind: .setKeepalive, items: items)) }
  }

  mutating func dropLastUndo() { _ = undoPlans.popLast() }
}

extension AppState {
  /// K / F9 / U: builds the plan for the selected row (or the last change) and asks.
  mutating func askToConfirm(_ action: Action) {
    guard !readonly else { return }
    if action == .undoKeepalive {
      guard let plan = actions.undoPlans.last else {
        statusMessage = "nothing to undo: no keepalive change made in this session"
        return
      }
      actions.ask(plan, undo: true)
      mode = .confirm
      return
    }
    let change = recommendedChange
    if showsGroups {
      // On a group row every key acts on the group's connections (the confirmation names them).
      askForGroup(action == .killConnection ? .kill : .setKeepalive, change: change)
      return
    }
    if action == .setKeepaliveShown {
      var targets: [Connection] = []
      for i in rows.indices where rows[i].status != .closed && ActionSelection().matches(rows[i].connection, for: .setKeepalive) {
        targets.append(rows[i].connection)
      }
      guard !targets.isEmpty else {
        statusMessage = "A: no row shown is a connected socket whose owner katop can see"
        statusIsError = true
        return
      }
      actions.ask(ActionPlan(kind: .setKeepalive, connections: targets, change: change), undo: false)
      mode = .confirm
      return
    }
    let kind: ActionKind = action == .killConnection ? .kill : .setKeepalive
    guard let row = selectedRow, row.status != .closed else {
      statusMessage = "select a connection first"
      statusIsError = true
      return
    }
    let c = row.connection
    guard ActionSelection().matches(c, for: kind) else {
      statusMessage = kind == .kill
        ? "F9 ends connections only (not \(c.record.state.kernelName))"
        : "K needs a connected socket whose owner katop can see (this one: \(c.record.state.kernelName), \(c.owner == nil ? "no owner" : "owner \(c.owner?.pid ?? 0)"))"
      statusIsError = true
      return
    }
    actions.ask(ActionPlan(kind: kind, connections: [c], change: change), undo: false)
    mode = .confirm
  }

  /// K / A / F9 on a group row: the plan for the selected group's connections.
  mutating func askForGroup(_ kind: ActionKind, change: @escaping (Connection) -> KeepaliveChange) {
    guard let group = selectedGroup else {
      statusMessage = "select a group first"
      statusIsError = true
      return
    }
    let selection = ActionSelection()
    let targets = group.members.map { store.rows[Int($0)] }.filter { !$0.isClosed && selection.matches($0.connection, for: kind) }
      .map(\.connection)
    guard !targets.isEmpty else {
      statusMessage = kind == .kill
        ? "F9: no connection of \(group.label) to end"
        : "K: no connected socket of \(group.label) whose owner katop can see"
      statusIsError = true
      return
    }
    actions.ask(ActionPlan(kind: kind, connections: targets, change: change), undo: false)
    mode = .confirm
  }

  /// The values K and A offer for a connection: FixAdvisor's recommendation for that flow's own
  /// budget (its --path rule, conntrack entry ...), else for the profile.
  var recommendedChange: (Connection) -> KeepaliveChange {
    let profile = self.profile
    guard var flow = self.flow else { return { _ in KeepaliveChange(FixAdvisor.recommended(for: profile)) } }
    flow.profile = profile
    return { c in KeepaliveChange(FixAdvisor.recommended(for: FlowBudget.verdict(c, context: flow).profile ?? profile)) }
  }

  /// y carries the plan out, e edits its values (set-keepalive); any other key cancels it.
  mutating func handleConfirmation(_ key: Key) -> Effect {
    if key == .char("e"), actions.editable, let change = actions.pending?.items.first?.change {
      promptText = KeepaliveChange.editText(change)
      promptPrefilled = true
      mode = .prompt(.keepaliveValues)
      return .none
    }
    mode = .table
    guard let (plan, undo) = actions.takePending() else { return .none }
    guard key == .char("y") || key == .char("Y") else {
      statusMessage = "cancelled: nothing changed"
      return .none
    }
    if undo { actions.dropLastUndo() }
    return .act(plan)
  }

  /// Enter: the values typed replace the plan's and the question comes back (a bad value says
  /// why and stays); Esc: back to the question with the values unchanged.
  mutating func finishValuesPrompt(accepted: Bool) -> Effect {
    if accepted {
      switch KeepaliveChange.parse(promptText) {
      case .failure(let why):
        statusMessage = why.message
        statusIsError = true
        return .none
      case .success(let change): actions.edit(change)
      }
    }
    mode = .confirm
    return .none
  }

  /// The results of a confirmed plan: a status line, and what U can undo.
  public mutating func finishAction(_ plan: ActionPlan, results: [ActionResult]) {
    if plan.kind == .setKeepalive { actions.record(undoing: results) }
    let (ok, failed) = ActionReport.counts(results)
    let verb = plan.kind == .kill ? "ended" : "changed"
    var text = "\(plan.kind.rawValue): \(ok) of \(results.count) \(verb)"
    if let first = results.first(where: { !$0.outcome.succeeded }) { text += ": " + ActionReport.outcomeText(first) }
    switch results.first(where: { $0.outcome.succeeded })?.outcome {
    case .ended(let method)?: text += " (\(method.rawValue))"
    case .keepaliveSet(let before, let after)?:
      text += " (\(ActionReport.optionsText(before)) -> \(ActionReport.optionsText(after)))"
    default: break
    }
    statusMessage = text
    statusIsError = failed > 0
  }
}
