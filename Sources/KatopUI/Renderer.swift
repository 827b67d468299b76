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
    } else {
      renderTable(state, into: &screen, top: top, bottom: h - 1)
      if state.mode == .sortMenu { renderSortMenu(state, into: &screen, top: top + 1) }
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
    let s = state.system
    var line1: [(String, Role)] = [("katop", .headerValue)]
    if !s.hostname.isEmpty { line1 += [(" ", .header), (s.hostname, .headerValue)] }
    line1 += [
      ("  keepalive ", .header),
      ("\(s.keepaliveTime)s/\(s.keepaliveInterval)s/\(s.keepaliveProbes)", .headerValue),
      ("  profile ", .header),
      ("\(state.profile.name) \(Format.duration(seconds: state.profile.idleTimeoutSeconds))", .headerValue),
      ("  every ", .header), (Format.duration(ms: Int64(state.intervalMs)), .headerValue),
    ]
    if let cadence = state.cadence {
      if cadence.fullTableMs > cadence.rowsOnScreenMs {
        // Rows on screen by lookups, the whole table by walks further apart.
        if cadence.rowsOnScreenMs > state.intervalMs {
          line1 += [(" (", .header), (Renderer.tenths(ms: cadence.rowsOnScreenMs), .riskWarning), (")", .header)]
        }
        line1 += [
          (", full table every ", .header), (Renderer.tenths(ms: cadence.fullTableMs), .riskWarning),
          (" (walk ", .header), (Format.duration(ms: Int64(cadence.costMs)), .headerValue), (")", .header),
        ]
      } else if cadence.rowsOnScreenMs > state.intervalMs {
        line1 += [
          (" (", .header), (Renderer.tenths(ms: cadence.rowsOnScreenMs), .riskWarning),
          (": refresh takes ", .header), (Format.duration(ms: Int64(cadence.costMs)), .headerValue), (")", .header),
        ]
      }
    }
    if let discovery = state.status.discoveryIntervalMs {
      // Lookups between walks: new sockets appear at the first refresh at least `discovery`
      // after the last walk.
      let spacing = max(state.intervalMs, state.cadence?.fullTableMs ?? 0, 1)
      if discovery > spacing {
        let walkEvery = (discovery + spacing - 1) / spacing * spacing
        line1 += [(", new conns every ", .header), (Format.duration(ms: Int64(walkEvery)), .headerValue)]
      }
    }
    if state.paused { line1 += [("  ", .header), ("PAUSED", .riskWarning)] }
    if state.refreshing { line1 += [("  ", .header), ("refreshing", .status)] }
    if !s.kernel.isEmpty { line1 += [("  kernel ", .header), (s.kernel, .headerValue)] }
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
    func fits(_ line: [(String, Role)]) -> Bool { line.reduce(0) { $0 + $1.0.count } <= screen.width }
    var line2 = counts(short: false, established: true)
    if !fits(line2) { line2 = counts(short: true, established: true) }
    if !fits(line2) { line2 = counts(short: true, established: false) }
    putSegments(line2, row: 1, into: &screen)

    let arrow = sortArrow(state.sort)
    var line3: [(String, Role)] = [
      ("sort ", .header), ("\(state.sort.column.title)\(arrow)", .headerValue), ("  filter ", .header),
    ]
    let f = state.filter
    if f.isEmpty {
      line3.append(("none", .headerValue))
    } else {
      if !f.ports.isEmpty { line3 += [("ports ", .header), (f.ports.map(String.init).joined(separator: ","), .prompt)] }
      if !f.text.isEmpty { line3 += [(" text ", .header), ("'\(f.text)'", .prompt)] }
      if f.riskyOnly { line3 += [(" ", .header), ("risky-only", .prompt)] }
      if !f.states.isEmpty {
        let names = f.states.sorted { $0.rawValue < $1.rawValue }.map { Column.shortState($0) }
        line3 += [(" states ", .header), (names.joined(separator: ","), .prompt)]
      }
    }
    putSegments(line3, row: 2, into: &screen)
  }

  func putSegments(_ segments: [(String, Role)], row: Int, into screen: inout ScreenBuffer) {
    var col = 0
    for (text, role) in segments { col = screen.put(row, col, text, role) }
  }

  // MARK: table

  func renderTable(_ state: AppState, into screen: inout ScreenBuffer, top: Int, bottom: Int) {
    let w = screen.width
    let bodyRows = max(0, bottom - top - 1)
    let start = min(max(0, state.scroll), max(0, state.rows.count - 1))
    let end = min(state.rows.count, start + bodyRows)
    let visible = state.rows[start..<max(start, end)]
    let layout = ColumnLayout(width: w, visible: visible, cutIn: state.flow != nil)

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
      return
    }
    for (offset, row) in visible.enumerated() {
      let index = start + offset
      renderRow(row, selected: index == state.selectedIndex, layout: layout, row: top + 1 + offset, flow: state.flow, into: &screen)
    }
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
      let text = Fit.pad(column.text(c, flow: flow, watched: row.watched), width, right: column.rightAligned, ellipsis: glyphs.ellipsis)
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

  func renderSortMenu(_ state: AppState, into screen: inout ScreenBuffer, top: Int) {
    let items = SortColumn.allCases
    let inner = 12
    let g = glyphs
    let height = items.count + 2
    guard top + height <= screen.height - 1 else {
      // Too short for a box: the footer shows the choice.
      return
    }
    screen.put(top, 0, String(g.corners.0) + String(repeating: g.horizontal, count: inner) + String(g.corners.1), .border)
    for (i, item) in items.enumerated() {
      let y = top + 1 + i
      screen.put(y, 0, String(g.vertical), .border)
      screen.put(y, 1, Fit.pad(" " + item.title, inner), i == state.sortMenuIndex ? .selected : .row)
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
