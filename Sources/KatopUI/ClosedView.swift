// The Closed view (L): recent deaths, newest first, two lines each: how long ago, the cause, the
// endpoints, the owner, how long it lived and its idle at death; then the evidence with the budget.
import KatopModel

extension Renderer {
  /// Column titles and widths of an entry's first line (the owner takes the rest).
  static let closedColumns: [(title: String, width: Int, right: Bool)] = [
    ("Ago", 6, true), ("Cause", 12, false), ("Lived", 7, true), ("Idle", 7, true), ("Local", 21, false),
    ("Remote", 21, false),
  ]

  func renderClosed(_ state: AppState, into screen: inout ScreenBuffer, top: Int, bottom: Int) {
    let shown = state.closedShown
    let log = state.closed
    var title = "Closed connections, newest first: \(shown.count) shown of \(log.count) kept"
    if log.dropped > 0 { title += " (\(log.total) this session, the newest \(log.capacity) kept)" }
    title += "  L/Esc: back"
    var lines: [Segments] = [closedHeaderLine(width: screen.width)]
    if shown.isEmpty {
      lines.append([(log.isEmpty ? "  no connection has closed since katop started" : "  no closed connection matches the filters", .status)])
    }
    for c in shown { lines += closedLines(c, nowMs: state.nowMs, width: screen.width) }
    renderPage(title: title, lines: lines, scroll: state.pageScroll, into: &screen, top: top, bottom: bottom)
  }

  func closedHeaderLine(width: Int) -> Segments {
    var text = ""
    for column in Renderer.closedColumns { text += Fit.pad(column.title, column.width, right: column.right) + " " }
    return [(Fit.pad(text + "Owner", width), .tableHeader)]
  }

  /// An entry: its columns, then the evidence and the idle against the budget, indented.
  func closedLines(_ c: ClosedConnection, nowMs: UInt64, width: Int) -> [Segments] {
    let ago = Format.duration(ms: Int64(clamping: nowMs &- min(nowMs, c.closedAtMs)))
    let owner = c.owner.map { "\($0.pid)/\($0.command)" } ?? (c.known ? "-" : "(not seen alive)")
    let lived = c.lifetimeMs.map { (c.lifetimeAtLeast ? ">" : "") + Format.duration(ms: Int64(clamping: $0)) } ?? "-"
    let idle = c.idleMs.map { Format.duration(ms: Int64(clamping: $0)) } ?? "-"
    let values = [ago, c.cause.label, lived, idle, Format.endpoint(c.local), Format.endpoint(c.remote)]
    var first: Segments = []
    var used = 0
    for (value, column) in zip(values, Renderer.closedColumns) {
      let role = column.title == "Cause" ? Renderer.role(of: c.cause) : .row
      first.append((Fit.pad(value, column.width, right: column.right, ellipsis: glyphs.ellipsis) + " ", role))
      used += column.width + 1
    }
    first.append((Fit.truncate(owner, max(0, width - used), ellipsis: glyphs.ellipsis), .row))
    let indent = String(repeating: " ", count: Renderer.closedColumns[0].width + 1)
    return [first, [(indent + Fit.truncate(c.summary, max(0, width - indent.count), ellipsis: glyphs.ellipsis), .status)]]
  }

  static func role(of cause: DeathCause) -> Role {
    switch cause {
    case .orderlyClose: return .row
    case .killedByKatop: return .riskInfo
    case .reset: return .riskWarning
    case .keepalive, .retransmissionTimeout, .userTimeout: return .riskCritical
    }
  }
}
