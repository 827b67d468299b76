// Draws AppState into a ScreenBuffer using roles only (the theme is applied by the terminal).
// Only rows on screen are formatted, so 100k connections cost no more than 40.
import KatopModel

public enum Layout {
  public static let minWidth = 40
  public static let minHeight = 8
  static let headerLines = 3
  static let maxNoteLines = 2

  /// The collector's own notes (fallback to /proc, interrupted dump, not root ...) under the
  /// header; a collection error first.
  static func notes(_ state: AppState) -> [(String, Role)] {
    var out: [(String, Role)] = []
    if let e = state.collectError { out.append(("collect failed: " + e, .error)) }
    for n in state.status.notes { out.append((Layout.text(of: n), .status)) }
    return out
  }

  /// A collector note as the TUI words it: the table marks assumed settings with `*`.
  static func text(of note: CollectorNote) -> String {
    switch note {
    case .notPrivileged: return "not root: settings assumed from sysctls (*), some owners hidden: run as root"
    default: return note.text
    }
  }

  static func noteLines(_ state: AppState) -> Int { min(maxNoteLines, notes(state).count) }

  /// Table body rows for a screen height: header, notes, column titles and footer take the rest.
  public static func tableRows(height: Int, noteLines: Int) -> Int {
    height - headerLines - noteLines - 2
  }
}

struct Glyphs {
  var sortDescending: String
  var sortAscending: String
  var ellipsis: String
  var arrow: String
  var horizontal: Character
  var vertical: Character
  var corners: (Character, Character, Character, Character)
  var cursor: String

  static let utf8 = Glyphs(
    sortDescending: "▼", sortAscending: "▲", ellipsis: "…", arrow: "→", horizontal: "─", vertical: "│",
    corners: ("┌", "┐", "└", "┘"), cursor: "█")
  static let ascii = Glyphs(
    sortDescending: "v", sortAscending: "^", ellipsis: "~", arrow: "->", horizontal: "-", vertical: "|",
    corners: ("+", "+", "+", "+"), cursor: "_")
}

public struct Renderer {
  public var ascii: Bool
  var glyphs: Glyphs { ascii ? .ascii : .utf8 }

  public init(ascii: Bool = false) { self.ascii = ascii }

  public func render(_ state: AppState, into screen: inout ScreenBuffer) {
    screen.clear()
    let w = screen.width, h = screen.height
    if w < Layout.minWidth || h < Layout.minHeight {
      renderTooSmall(into: &screen)
      return
    }
    if state.mode == .help {
      renderHelp(state, into: &screen, top: 0, bottom: h - 1)
      renderFooter(state, into: &screen, row: h - 1)
      return
    }
    renderHeader(state, into: &screen)
    let notes = Layout.notes(state)
    let noteCount = min(Layout.maxNoteLines, notes.count)
    for (i, note) in notes.prefix(noteCount).enumerated() {
      // Notes that do not fit say so on the last line (katop --once lists them all).
      let more = i == noteCount - 1 && notes.count > noteCount ? " (+\(notes.count - noteCount) more notes: katop --once)" : ""
      let room = max(1, w - more.count)
      screen.put(Layout.headerLines + i, 0, Fit.truncate(note.0, room, ellipsis: glyphs.ellipsis) + more, note.1)
    }
    let top = Layout.headerLines + noteCount
    if state.mode == .detail {
      renderDetail(state, into: &screen, top: top, bottom: h - 1)
    } else if state.mode == .closed {
      renderClosed(state, into: &screen, top: top, bottom: h - 1)
    } else if state.mode == .namespaces {
      renderPage(
        title: "Network namespaces (N/Esc: back)", lines: namespaceLines(state, width: w), scroll: state.pageScroll,
        into: &screen, top: top, bottom: h - 1)
    } else {
      var shown: Set<SortColumn> = []
      if state.showsGroups {
        renderGroups(state, into: &screen, top: top, bottom: h - 1)
        shown = Set(SortColumn.allCases)
      } else {
        shown = Set(renderTable(state, into: &screen, top: top, bottom: h - 1).columns.compactMap(\.column.sortColumn))
      }
      if state.mode == .sortMenu {
        renderSortMenu(state, shown: shown, into: &screen, top: top + 1)
      }
    }
    renderFooter(state, into: &screen, row: h - 1)
  }

  func renderTooSmall(into screen: inout ScreenBuffer) {
    let w = screen.width, h = screen.height
    let lines = Fit.wrap("terminal too small (\(w)x\(h)), need at least \(Layout.minWidth)x\(Layout.minHeight)", width: w)
    let start = max(0, (h - lines.count) / 2)
    for (i, line) in lines.enumerated() {
      screen.put(start + i, max(0, (w - line.count) / 2), line, .error)
    }
  }

  // MARK: header

  /// `2100` -> `2.1s` (under a minute; longer ones as `Format.duration`).
  static func tenths(ms: Int) -> String {
    guard ms >= 0, ms < 60_000 else { return Format.duration(ms: Int64(ms)) }
    let t = (ms + 50) / 100
    return "\(t / 10).\(t % 10)s"
  }

  func renderHeader(_ state: AppState, into screen: inout ScreenBuffer) {
    // The first line that fits: PAUSED and how fresh the table is stay; the kernel, the labels,
    // the host and the sysctls give way first.
    var line1 = headerLine(state, shorten: 0)
    for level in 1...Renderer.headerLevels where !fits(line1, screen.width) {
      line1 = headerLine(state, shorten: level)
    }
    putSegments(line1, row: 0, into: &screen)

    let c = state.counts
    let risky: [(Severity, short: String)] = [(.critical, "crit"), (.warning, "warn"), (.info, "info")]
    // Six-digit counts on a narrow screen: short severity names, then no ESTABLISHED count, so
    // the last risk count is never cut off.
    func counts(short: Bool, established: Bool) -> [(String, Role)] {
      var line: [(String, Role)] = [("conns ", .header), ("\(state.rows.count - state.shownClosed)/\(c.total)", .headerValue)]
      if established { line += [("  estab ", .header), ("\(c.established)", .headerValue)] }
      line += [
        ("  KA on ", .header), ("\(c.keepaliveOn)", .keepaliveOn),
        (" off ", .header), ("\(c.keepaliveOff)", .keepaliveOff),
        (" ? ", .header), ("\(c.keepaliveUnknown)", .keepaliveUnknown),
        ("  risky:", .header),
      ]
      for (i, (sev, abbreviation)) in risky.enumerated() {
        line += [(" \(c.atRisk(sev)) ", Column.severityRole(sev) ?? .header), ((short ? abbreviation : sev.name) + (i < risky.count - 1 ? "," : ""), .header)]
      }
      return line
    }
    var line2 = counts(short: false, established: true)
    if !fits(line2, screen.width) { line2 = counts(short: true, established: true) }
    if !fits(line2, screen.width) { line2 = counts(short: true, established: false) }
    // The TcpExt counters' move over the last refresh, where they tell something and fit.
    let d = state.tcpExtDelta
    if !d.isZero {
      let moved: [(String, Role)] = [
        ("  TcpExt ", .header), ("+\(d.keepaliveProbes)", .headerValue), (" ka probes ", .header),
        ("+\(d.abortsOnTimeout)", d.abortsOnTimeout > 0 ? .riskWarning : .headerValue), (" timeout aborts", .header),
      ]
      if fits(line2 + moved, screen.width) { line2 += moved }
    }
    putSegments(line2, row: 1, into: &screen)

    let arrow = sortArrow(state.sort)
    var line3: [(String, Role)] = [
      ("sort ", .header), ("\(state.sort.column.title)\(arrow)", .headerValue), ("  filter ", .header),
    ]
    if state.groupBy != .none {
      line3 = [("group ", .header), (state.groupBy.title.lowercased(), .prompt)]
      if let label = state.drillLabel { line3 += [(" in ", .header), (label, .prompt)] }
      line3 += [("  sort ", .header), ("\(state.sort.column.title)\(arrow)", .headerValue), ("  filter ", .header)]
    }
    let f = state.filter
    if f.isEmpty {
      line3.append(("none", .headerValue))
    } else {
      if !f.ports.isEmpty { line3 += [("ports ", .header), (f.ports.map(String.init).joined(separator: ","), .prompt)] }
      if f.inverted && f.selects { line3 += [(" ", .header), ("NOT", .riskWarning)] }
      if !f.text.isEmpty { line3 += [(" text ", .header), ("'\(ConnectionText.printable(f.text))'", .prompt)] }
      if f.riskyOnly { line3 += [(" ", .header), ("risky-only", .prompt)] }
      let lists: [(String, [String])] = [
        ("pid", f.pids.map(String.init)), ("user", f.users), ("cmd", f.commands), ("risk", f.riskIDs.map(\.rawValue)),
      ]
      for (name, values) in lists where !values.isEmpty {
        line3 += [(" \(name) ", .header), (ConnectionText.printable(values.joined(separator: ",")), .prompt)]
      }
      if !f.states.isEmpty {
        let names = f.states.sorted { $0.rawValue < $1.rawValue }.map { Column.shortState($0) }
        line3 += [(" states ", .header), (names.joined(separator: ","), .prompt)]
      }
    }
    putSegments(line3, row: 2, into: &screen)
  }

  static let headerLevels = 5

  func fits(_ line: [(String, Role)], _ width: Int) -> Bool { line.reduce(0) { $0 + $1.0.count } <= width }

  /// The header's first line, shorter as `shorten` grows: 1 drops the kernel, 2 shortens the
  /// labels, 3 the refresh spacing's words, 4 drops the host and the sysctls, 5 the profile.
  func headerLine(_ state: AppState, shorten level: Int) -> [(String, Role)] {
    let s = state.system
    var line1: [(String, Role)] = [("katop", .headerValue)]
    if !s.hostname.isEmpty && level < 4 { line1 += [(" ", .header), (s.hostname, .headerValue)] }
    if level < 4 {
      line1 += level < 2
        ? [("  keepalive ", .header), ("\(s.keepaliveTime)s/\(s.keepaliveInterval)s/\(s.keepaliveProbes)", .headerValue)]
        : [("  ka ", .header), ("\(s.keepaliveTime)/\(s.keepaliveInterval)/\(s.keepaliveProbes)", .headerValue)]
    }
    if level < 5 {
      line1 += [
        (level < 2 ? "  profile " : "  ", .header),
        ("\(state.profile.name) \(Format.duration(seconds: state.profile.idleTimeoutSeconds))", .headerValue),
      ]
    }
    line1 += [("  every ", .header), (Format.duration(ms: Int64(state.intervalMs)), .headerValue)]
    let short = level >= 3
    if let cadence = state.cadence {
      if cadence.fullTableMs > cadence.rowsOnScreenMs {
        // Rows on screen by lookups, the whole table by walks further apart.
        if cadence.rowsOnScreenMs > state.intervalMs {
          line1 += [(" (", .header), (Renderer.tenths(ms: cadence.rowsOnScreenMs), .riskWarning), (")", .header)]
        }
        line1 += [(short ? ", table " : ", full table every ", .header), (Renderer.tenths(ms: cadence.fullTableMs), .riskWarning)]
        if !short {
          line1 += [(" (walk ", .header), (Format.duration(ms: Int64(cadence.costMs)), .headerValue), (")", .header)]
        }
      } else if cadence.rowsOnScreenMs > state.intervalMs {
        line1 += [(" (", .header), (Renderer.tenths(ms: cadence.rowsOnScreenMs), .riskWarning)]
        if !short {
          line1 += [(": refresh takes ", .header), (Format.duration(ms: Int64(cadence.costMs)), .headerValue)]
        }
        line1 += [(")", .header)]
      }
    }
    if let discovery = state.status.discoveryIntervalMs {
      // Lookups between walks: new sockets appear at the first refresh at least `discovery`
      // after the last walk.
      let spacing = max(state.intervalMs, state.cadence?.fullTableMs ?? 0, 1)
      if discovery > spacing {
        let walkEvery = (discovery + spacing - 1) / spacing * spacing
        line1 += [(short ? ", new " : ", new conns every ", .header), (Format.duration(ms: Int64(walkEvery)), .headerValue)]
      }
    }
    if state.paused { line1 += [("  ", .header), ("PAUSED", .riskWarning)] }
    if state.refreshing { line1 += [("  ", .header), (short ? "..." : "refreshing", .status)] }
    if !s.kernel.isEmpty && level < 1 { line1 += [("  kernel ", .header), (s.kernel, .headerValue)] }
    return line1
  }

  func putSegments(_ segments: [(String, Role)], row: Int, into screen: inout ScreenBuffer) {
    var col = 0
    for (text, role) in segments { col = screen.put(row, col, text, role) }
  }

  // MARK: table

  /// Returns the layout drawn (the sort menu marks the columns it hides).
  @discardableResult
  func renderTable(_ state: AppState, into screen: inout ScreenBuffer, top: Int, bottom: Int) -> ColumnLayout {
    let w = screen.width
    let bodyRows = max(0, bottom - top - 1)
    let start = min(max(0, state.scroll), max(0, state.rows.count - 1))
    let end = min(state.rows.count, start + bodyRows)
    let visible = state.rows[start..<max(start, end)]
    let layout = ColumnLayout(
      width: w, visible: visible, cutIn: state.flow != nil, portFilter: !state.filter.ports.isEmpty, choice: state.columns)

    screen.fill(top, 0, count: w, " ", .tableHeader)
    var col = 0
    for (column, width) in layout.columns {
      var title = column.title
      if column.sortColumn == state.sort.column {
        title += sortArrow(state.sort)
      }
      screen.put(top, col, Fit.pad(title, width, right: column.rightAligned, ellipsis: glyphs.ellipsis), .tableHeader)
      col += width + 1
    }

    if state.rows.isEmpty {
      let message = state.hasData ? "no connections match the filters" : "collecting..."
      screen.put(top + 2, 2, message, .status)
      return layout
    }
    for (offset, row) in visible.enumerated() {
      let index = start + offset
      renderRow(row, selected: index == state.selectedIndex, layout: layout, row: top + 1 + offset, flow: state.flow, into: &screen)
    }
    return layout
  }

  func renderRow(
    _ row: TableRow, selected: Bool, layout: ColumnLayout, row y: Int, flow: FlowContext? = nil, into screen: inout ScreenBuffer
  ) {
    let c = row.connection
    let uniform: Role? =
      selected ? .selected : (row.status == .closed ? .closedRow : (row.status == .new ? .newRow : nil))
    screen.fill(y, 0, count: screen.width, " ", uniform ?? .row)
    let severityRole = Column.severityRole(c.worstSeverity)
    var col = 0
    for (column, width) in layout.columns {
      var cell = column.text(c, flow: flow, watched: row.watched, shortLocal: layout.shortLocal)
      // An owner too long for its column keeps the command, not the pid.
      if column == .owner, cell.count > width, let o = c.owner { cell = ConnectionText.printable(o.command) }
      let text = column.isEndpoint
        ? Fit.endpoint(cell, width, ellipsis: glyphs.ellipsis)
        : Fit.pad(cell, width, right: column.rightAligned, ellipsis: glyphs.ellipsis)
      var role = uniform ?? .row
      if uniform == nil {
        switch column {
        case .keepalive:
          role = c.keepalive.enabled == true ? .keepaliveOn : (c.keepalive.enabled == false ? .keepaliveOff : .keepaliveUnknown)
        case .settings where c.keepalive.source == .system: role = .assumed
        case .risk, .idle, .detect: role = severityRole ?? .row
        default: break
        }
      }
      screen.put(y, col, text, role)
      col += width + 1
    }
  }

  func sortArrow(_ order: KatopModel.SortOrder) -> String {
    order.descending ? glyphs.sortDescending : glyphs.sortAscending
  }

  /// Every sortable column, the ones the table does not show marked `hidden` (sorting by one
  /// still works); the box's title says so.
  func renderSortMenu(_ state: AppState, shown: Set<SortColumn>, into screen: inout ScreenBuffer, top: Int) {
    let items = SortColumn.allCases
    let title = "sortable columns"
    let labels = items.map { " " + $0.title + (shown.contains($0) ? "" : " (hidden)") }
    let inner = max(title.count + 2, (labels.map(\.count).max() ?? 0) + 1)
    let g = glyphs
    let height = items.count + 2
    guard top + height <= screen.height - 1 else {
      // Too short for a box: the footer shows the choice.
      return
    }
    let bar = String(repeating: g.horizontal, count: inner - title.count - 1)
    screen.put(top, 0, String(g.corners.0) + String(g.horizontal) + title + bar + String(g.corners.1), .border)
    for (i, item) in labels.enumerated() {
      let y = top + 1 + i
      screen.put(y, 0, String(g.vertical), .border)
      screen.put(y, 1, Fit.pad(item, inner), i == state.sortMenuIndex ? .selected : (shown.contains(items[i]) ? .row : .status))
      screen.put(y, inner + 1, String(g.vertical), .border)
    }
    screen.put(
      top + height - 1, 0, String(g.corners.2) + String(repeating: g.horizontal, count: inner) + String(g.corners.3),
      .border)
  }

  // MARK: footer

  func renderFooter(_ state: AppState, into screen: inout ScreenBuffer, row: Int) {
    let w = screen.width
    if let message = state.statusMessage {
      screen.put(row, 0, Fit.truncate(message, w, ellipsis: glyphs.ellipsis), state.statusIsError ? .error : .status)
      return
    }
    switch state.mode {
    case .confirm:
      putSegments([(state.actions.confirmationText, .prompt)], row: row, into: &screen)
    case .prompt(let kind):
      let labels: [PromptKind: String] = [
        .ports: "Ports (comma-separated, empty clears): ", .text: "Filter (Esc clears): ",
        .keepaliveValues: "Keepalive idle/interval/count[/user-timeout ms] (Enter asks again, Esc back): ",
      ]
      let label = labels[kind] ?? ""
      var col = screen.put(row, 0, label, .prompt)
      let room = max(1, w - col - 1)
      let text = state.promptText.count > room ? String(state.promptText.suffix(room)) : state.promptText
      col = screen.put(row, col, text, state.promptPrefilled ? .selected : .detailValue)
      screen.put(row, col, glyphs.cursor, .prompt)
    case .sortMenu:
      let current = SortColumn.allCases.indices.contains(state.sortMenuIndex)
        ? SortColumn.allCases[state.sortMenuIndex].title : ""
      putSegments([("Sort by ", .prompt), (current, .detailValue), ("  Up/Down choose  Enter apply  I invert  Esc cancel", .hintText)], row: row, into: &screen)
    default:
      renderHints(into: &screen, row: row, readonly: state.readonly)
    }
  }

  /// htop-style `F1Help pPorts ...` from the key table; entries that do not fit are left out,
  /// except Quit which is always last.
  func renderHints(into screen: inout ScreenBuffer, row: Int, readonly: Bool) {
    let hints = KeyTable.hints(readonly: readonly)
    guard let quit = hints.last else { return }
    let quitWidth = quit.key.count + quit.text.count
    var col = 0
    for hint in hints.dropLast() {
      let width = hint.key.count + hint.text.count + 1
      if col + width + quitWidth > screen.width { continue }
      col = screen.put(row, col, hint.key, .hintKey)
      col = screen.put(row, col, hint.text, .hintText)
      col = screen.put(row, col, " ", .row)
    }
    col = screen.put(row, col, quit.key, .hintKey)
    screen.put(row, col, quit.text, .hintText)
  }
}
