// The TUI's reducer: a key (or an action from the key table) in, the new state and an effect
// for the run loop out. Pure, like the rest of AppState.
import KatopModel

extension AppState {

  public mutating func handle(_ key: Key) -> Effect {
    if key == .resize { return .none }
    if case .click(let x, let y) = key { return click(x: x, y: y) }
    statusMessage = nil
    statusIsError = false
    switch mode {
    case .confirm: return handleConfirmation(key)
    case .prompt(let kind): return handlePrompt(key, kind)
    case .sortMenu: return handleSortMenu(key)
    case .help:
      let action = KeyTable.action(for: key, readonly: readonly)
      switch action {
      case .moveUp?, .moveDown?, .pageUp?, .pageDown?, .home?, .end?:
        if let a = action { scrollPage(a) }
      case .quit? where key == .function(10): return .quit
      default:
        mode = .table
        pageScroll = 0
      }
      return .none
    case .table, .detail, .closed, .namespaces:
      guard let action = KeyTable.action(for: key, readonly: readonly) else { return .none }
      return perform(action)
    }
  }

  public mutating func perform(_ action: Action) -> Effect {
    switch action {
    case .moveUp, .moveDown, .pageUp, .pageDown, .home, .end:
      if mode == .detail || mode == .closed { scrollPage(action) } else if showsGroups { moveGroup(action) } else { move(action) }
    case .closedView:
      mode = mode == .closed ? .table : .closed
      pageScroll = 0
    case .namespaceView:
      mode = mode == .namespaces ? .table : .namespaces
      namespaceList = nil  // read again each time it opens
      pageScroll = 0
    case .detail:
      if mode == .closed || mode == .namespaces {
        break
      } else if mode == .detail {
        mode = .table
      } else if showsGroups {
        drillIn()
      } else if selectedRow != nil {
        mode = .detail
        pageScroll = 0
        showsSummary = false
      }
    case .back:
      if mode != .table {
        mode = .table
      } else if drill != nil {
        drillOut()
      } else if !filter.text.isEmpty {
        filter.text = ""
        rebuildRows()
      }
    case .portFilter:
      promptReturnsToClosed = mode == .closed
      promptText = filter.ports.map(String.init).joined(separator: ",")
      promptPrefilled = !promptText.isEmpty
      mode = .prompt(.ports)
    case .textFilter:
      promptReturnsToClosed = mode == .closed
      promptText = filter.text
      promptPrefilled = !promptText.isEmpty
      mode = .prompt(.text)
    case .riskyOnly:
      filter.riskyOnly.toggle()
      rebuildRows()
    case .filterUser, .filterProcess, .invertFilter:
      filterBySelection(action)
    case .summaryLine:
      if mode == .detail {
        showsSummary.toggle()
      } else if mode == .table && !showsGroups && selectedRow != nil {
        mode = .detail
        pageScroll = 0
        showsSummary = true
      }
    case .cycleProfile:
      applyProfile(profile.next)
      statusMessage = "profile \(profile.name): idle timeout \(Format.duration(seconds: profile.idleTimeoutSeconds))"
    case .sortMenu:
      sortMenuIndex = SortColumn.allCases.firstIndex(of: sort.column) ?? 0
      mode = .sortMenu
    case .sortPrev, .sortNext:
      let all = SortColumn.allCases
      let i = all.firstIndex(of: sort.column) ?? 0
      sort.column = all[(i + (action == .sortNext ? 1 : all.count - 1)) % all.count]
      rebuildRows()
    case .invertSort:
      sort.descending.toggle()
      rebuildRows()
    case .pause:
      paused.toggle()
    case .cycleGrouping:
      setGrouping(groupBy.next)
      statusMessage = groupBy == .none ? "no grouping" : "grouped by \(groupBy.title.lowercased()): Enter drills in, Esc back"
    case .cycleColumns:
      let cycle = [ColumnChoice.auto] + (customColumns.map { [.custom($0)] } ?? []) + ColumnChoice.presets
      let i = cycle.firstIndex(of: columns) ?? 0
      columns = cycle[(i + 1) % cycle.count]
      statusMessage = "columns: \(columns.name)"
    case .slower:
      intervalMs = AppState.intervalSteps.first { $0 > intervalMs } ?? AppState.intervalSteps.last ?? intervalMs
    case .faster:
      intervalMs = AppState.intervalSteps.last { $0 < intervalMs } ?? AppState.intervalSteps.first ?? intervalMs
    case .setKeepalive, .setKeepaliveShown, .killConnection, .undoKeepalive:
      askToConfirm(action)
    case .help:
      mode = .help
      pageScroll = 0
    case .quit:
      return .quit
    }
    return .none
  }

  private mutating func move(_ action: Action) {
    switch action {
    case .moveUp: select(selectedIndex - 1)
    case .moveDown: select(selectedIndex + 1)
    case .pageUp: select(selectedIndex - pageSize)
    case .pageDown: select(selectedIndex + pageSize)
    case .home: select(0)
    case .end: select(rows.count - 1)
    default: break
    }
  }

  private mutating func scrollPage(_ action: Action) {
    switch action {
    case .moveUp: pageScroll -= 1
    case .moveDown: pageScroll += 1
    case .pageUp: pageScroll -= pageSize
    case .pageDown: pageScroll += pageSize
    case .home: pageScroll = 0
    case .end: pageScroll = Int(Int32.max)
    default: break
    }
    pageScroll = max(0, pageScroll)  // the renderer clamps the upper end
  }

  private mutating func handlePrompt(_ key: Key, _ kind: PromptKind) -> Effect {
    let prefilled = promptPrefilled
    promptPrefilled = false
    switch key {
    case .char(let c):
      if prefilled { promptText = "" }
      promptText.append(c)
    case .backspace, .delete:
      if prefilled {
        promptText = ""
      } else if !promptText.isEmpty {
        promptText.removeLast()
      }
    case .right, .end:
      return .none
    case .escape where kind == .keepaliveValues, .enter where kind == .keepaliveValues:
      return finishValuesPrompt(accepted: key == .enter)
    case .escape:
      mode = afterPrompt
      if kind == .text {
        filter.text = ""
        rebuildRows()
      }
      return .none
    case .enter:
      if kind == .text {
        mode = afterPrompt
        return .none
      }
      switch AppState.parsePorts(promptText) {
      case .failure(let problem):
        statusMessage = problem.message
        statusIsError = true
        return .none
      case .success(let ports):
        mode = afterPrompt
        guard ports != filter.ports else { return .none }
        filter.ports = ports
        awaitingBaseline = true
        rebuildRows()
        return .recollect(collectRequest)
      }
    default:
      return .none
    }
    if kind == .text {
      filter.text = promptText
      rebuildRows()
    }
    return .none
  }

  /// Where a filter prompt returns: the Closed view it was opened from, else the table.
  private var afterPrompt: Mode { promptReturnsToClosed ? .closed : .table }

  private mutating func handleSortMenu(_ key: Key) -> Effect {
    let all = SortColumn.allCases
    if key == .enter {
      if all.indices.contains(sortMenuIndex) { sort.column = all[sortMenuIndex] }
      mode = .table
      rebuildRows()
      return .none
    }
    switch KeyTable.action(for: key, readonly: readonly) {
    case .moveUp?: sortMenuIndex = max(0, sortMenuIndex - 1)
    case .moveDown?: sortMenuIndex = min(all.count - 1, sortMenuIndex + 1)
    case .invertSort?:
      sort.descending.toggle()
      rebuildRows()
    default:
      mode = .table
    }
    return .none
  }

  public struct PortProblem: Error, Equatable { public var message: String }

  /// Parses `3306, 5432` (commas and/or spaces, `PortList`); empty clears the filter.
  public static func parsePorts(_ text: String) -> Result<[UInt16], PortProblem> {
    PortList.parse(text).mapError { PortProblem(message: "\($0): use comma-separated ports") }
  }
}
