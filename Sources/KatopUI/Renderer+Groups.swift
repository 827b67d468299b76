// The grouped table: one row per group with its totals (AppState+Groups.swift).
import KatopModel

/// The group table's columns after the group's name (which takes the rest of the width).
enum GroupColumn: CaseIterable {
  case connections, keepaliveOn, keepaliveOff, keepaliveUnknown, critical, warning, info, soonestCut, largestIdle

  var title: String {
    switch self {
    case .connections: return "Conns"
    case .keepaliveOn: return "KA on"
    case .keepaliveOff: return "off"
    case .keepaliveUnknown: return "?"
    case .critical: return "crit"
    case .warning: return "warn"
    case .info: return "info"
    case .soonestCut: return FlowText.cutInTitle
    case .largestIdle: return "Max idle"
    }
  }

  var width: Int {
    switch self {
    case .connections: return 6
    case .keepaliveOn, .keepaliveOff, .critical, .warning, .info: return 5
    case .keepaliveUnknown: return 4
    case .soonestCut: return 7
    case .largestIdle: return 8
    }
  }

  /// The column the sort menu's choice orders groups by (Grouping.sorted), for the arrow.
  func sorted(by column: SortColumn) -> Bool {
    switch self {
    case .connections: return column == .state
    case .keepaliveOff: return column == .keepalive
    case .critical: return column == .risk
    case .soonestCut: return column == .timer || column == .detect
    case .largestIdle: return column == .idle
    default: return false
    }
  }

  func text(_ g: ConnectionGroup) -> String {
    let c = g.counts
    switch self {
    case .connections: return "\(c.total)"
    case .keepaliveOn: return "\(c.keepaliveOn)"
    case .keepaliveOff: return "\(c.keepaliveOff)"
    case .keepaliveUnknown: return "\(c.keepaliveUnknown)"
    case .critical: return "\(c.critical)"
    case .warning: return "\(c.warning)"
    case .info: return "\(c.info)"
    case .soonestCut: return g.soonestCutMs.map { $0 == 0 ? "CUT" : Format.duration(ms: $0) } ?? "-"
    case .largestIdle: return g.largestIdleMs.map { Format.duration(ms: Int64(clamping: $0)) } ?? "-"
    }
  }

  func role(_ g: ConnectionGroup) -> Role {
    let c = g.counts
    switch self {
    case .keepaliveOn: return c.keepaliveOn > 0 ? .keepaliveOn : .row
    case .keepaliveOff: return c.keepaliveOff > 0 ? .keepaliveOff : .row
    case .keepaliveUnknown: return c.keepaliveUnknown > 0 ? .keepaliveUnknown : .row
    case .critical: return c.critical > 0 ? .riskCritical : .row
    case .warning: return c.warning > 0 ? .riskWarning : .row
    case .info: return c.info > 0 ? .riskInfo : .row
    case .soonestCut: return g.soonestCutMs == 0 ? .riskCritical : .row
    default: return .row
    }
  }
}

extension Renderer {
  /// The group table's columns for a width: from the right they drop while the name would get
  /// less than 12.
  static func groupColumns(width w: Int, flow: Bool) -> (columns: [GroupColumn], nameWidth: Int) {
    var columns = GroupColumn.allCases.filter { $0 != .soonestCut || flow }
    func fixed() -> Int { columns.reduce(0) { $0 + $1.width + 1 } }
    while w - fixed() < 12 && columns.count > 1 { columns.removeLast() }
    return (columns, max(4, w - fixed()))
  }

  /// The sort column a click at `x` on the group table's header picks (the name: Owner).
  static func groupSortColumn(at x: Int, width: Int, flow: Bool) -> SortColumn? {
    let (columns, nameWidth) = groupColumns(width: width, flow: flow)
    if x < nameWidth { return .owner }
    var left = nameWidth
    for c in columns {
      if x >= left && x < left + c.width + 1 { return SortColumn.allCases.first { c.sorted(by: $0) } }
      left += c.width + 1
    }
    return nil
  }

  func renderGroups(_ state: AppState, into screen: inout ScreenBuffer, top: Int, bottom: Int) {
    let w = screen.width
    let (columns, nameWidth) = Renderer.groupColumns(width: w, flow: state.flow != nil)
    screen.fill(top, 0, count: w, " ", .tableHeader)
    let byName = GroupColumn.allCases.allSatisfy { !$0.sorted(by: state.sort.column) } && state.sort.column != .keepalive
    let nameTitle = state.groupBy.title + (byName ? sortArrow(state.sort) : "")
    var col = screen.put(top, 0, Fit.pad(nameTitle, nameWidth, ellipsis: glyphs.ellipsis), .tableHeader)
    for c in columns {
      let title = c.title + (c.sorted(by: state.sort.column) ? sortArrow(state.sort) : "")
      col = screen.put(top, col, " " + Fit.pad(title, c.width, right: true, ellipsis: glyphs.ellipsis), .tableHeader)
    }
    if state.groups.isEmpty {
      screen.put(top + 2, 2, state.hasData ? "no connections match the filters" : "collecting...", .status)
      return
    }
    let bodyRows = max(0, bottom - top - 1)
    let start = min(max(0, state.groupScroll), max(0, state.groups.count - 1))
    for (offset, g) in state.groups[start..<min(state.groups.count, start + bodyRows)].enumerated() {
      let y = top + 1 + offset
      let selected = start + offset == state.groupIndex
      screen.fill(y, 0, count: w, " ", selected ? .selected : .row)
      let name = g.label + (g.processes > 1 ? " (\(g.processes) pids)" : "")
      var x = screen.put(y, 0, Fit.pad(name, nameWidth, ellipsis: glyphs.ellipsis), selected ? .selected : .row)
      for c in columns {
        x = screen.put(y, x, " " + Fit.pad(c.text(g), c.width, right: true), selected ? .selected : c.role(g))
      }
    }
  }
}
