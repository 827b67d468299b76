// Table columns: what each shows, how wide it is, and which drop first on narrow terminals.
import KatopModel

enum Column: CaseIterable {
  case local, remote, state, owner, idle, keepalive, timer, settings, detect, cutIn, risk

  /// The sort column's title (one source for the table header and the sort menu).
  var title: String { self == .cutIn ? FlowText.cutInTitle : sortColumn?.title ?? "Settings" }

  var sortColumn: SortColumn? {
    switch self {
    case .local: return .local
    case .remote: return .remote
    case .state: return .state
    case .owner: return .owner
    case .idle: return .idle
    case .keepalive: return .keepalive
    case .timer: return .timer
    case .settings, .cutIn: return nil
    case .detect: return .detect
    case .risk: return .risk
    }
  }

  /// Fixed width for the columns that have one.
  var fixedWidth: Int {
    switch self {
    case .state: return 10
    case .owner: return 15
    case .idle: return 6
    case .keepalive: return 3
    case .timer: return 12
    case .settings: return 10
    case .detect, .cutIn: return 7
    case .local, .remote, .risk: return 0
    }
  }

  var rightAligned: Bool { self == .idle || self == .detect || self == .cutIn }

  /// Columns always shown, and the optional ones in the order they are added when there is room.
  static let required: [Column] = [.local, .remote, .state, .idle, .keepalive, .risk]
  static let optionalByPriority: [Column] = [.owner, .cutIn, .detect, .timer, .settings]

  // MARK: cell text

  /// The cell text; `flow` gives the Cut in column its verdict (`-` without one), with what the
  /// row `watched` of the flow.
  func text(_ c: Connection, flow: FlowContext?, watched: FlowActivity.Entry? = nil) -> String {
    guard self == .cutIn else { return text(c) }
    return flow.map { FlowText.cutIn(FlowBudget.verdict(c, context: $0, watched: watched)) } ?? "-"
  }

  func text(_ c: Connection) -> String {
    switch self {
    case .cutIn: return "-"

    case .local: return Format.endpoint(c.record.local)
    case .remote: return Format.endpoint(c.record.remote)
    case .state: return Column.shortState(c.record.state)
    // Shared with `katop --once` (ConnectionText): the same words, control characters escaped.
    case .owner: return ConnectionText.owner(c)
    case .idle: return ConnectionText.idle(c)
    case .keepalive: return ConnectionText.keepalive(c)
    case .timer: return Column.timerText(c.record)
    case .settings: return ConnectionText.settings(c)
    case .detect: return ConnectionText.detect(c)
    case .risk:
      // Most severe first; `risks` evaluates the rules on each read, so read it once.
      let risks = c.risks
      guard let worst = risks.first else { return "" }
      return worst.id.rawValue + (risks.count > 1 ? " +\(risks.count - 1)" : "")
    }
  }

  /// ss's short state names.
  static func shortState(_ s: TCPState) -> String {
    switch s {
    case .established: return "ESTAB"
    case .synSent: return "SYN-SENT"
    case .synRecv, .newSynRecv: return "SYN-RECV"
    case .finWait1: return "FIN-WAIT-1"
    case .finWait2: return "FIN-WAIT-2"
    case .timeWait: return "TIME-WAIT"
    case .close: return "CLOSE"
    case .closeWait: return "CLOSE-WAIT"
    case .lastAck: return "LAST-ACK"
    case .listen: return "LISTEN"
    case .closing: return "CLOSING"
    }
  }

  static func timerShortName(_ t: TimerKind) -> String {
    switch t {
    case .off: return "-"
    case .retransmit: return "rtx"
    case .keepalive: return "ka"
    case .timewait: return "tw"
    case .persist: return "zwp"
    case .delack: return "dack"
    }
  }

  static func timerText(_ r: SocketRecord) -> String {
    guard r.timer != .off else { return "-" }
    return timerShortName(r.timer) + " " + Format.duration(ms: KeepaliveMath.expiresMs(r))
      + (r.timerCount > 0 ? "/\(r.timerCount)" : "")
  }

  static func severityRole(_ s: Severity?) -> Role? {
    switch s {
    case .critical?: return .riskCritical
    case .warning?: return .riskWarning
    case .info?: return .riskInfo
    case nil: return nil
    }
  }
}

/// Column widths for one screen width. Local/Remote fit the rows on screen (capped); Risk takes
/// what is left; optional columns join by priority while they fit.
struct ColumnLayout {
  var columns: [(column: Column, width: Int)]

  static let addressCap = 47
  static let addressMin = 9
  static let riskMin = 12  // "no-keepalive" whole; longer ids get an ellipsis

  /// `cutIn`: offer the Cut in column (only with path budgets, AppState.flow).
  init<Rows: Sequence<TableRow>>(width: Int, visible: Rows, cutIn: Bool = false) {
    var local = Column.local.title.count + 1, remote = Column.remote.title.count + 1
    for row in visible {
      local = max(local, Column.local.text(row.connection).count)
      remote = max(remote, Column.remote.text(row.connection).count)
    }
    local = min(local, ColumnLayout.addressCap)
    remote = min(remote, ColumnLayout.addressCap)
    let fixed = Column.state.fixedWidth + Column.idle.fixedWidth + Column.keepalive.fixedWidth
    let separators = Column.required.count - 1
    var used = local + remote + fixed + separators + ColumnLayout.riskMin
    // Shrink the addresses (wider first) until the required columns fit.
    while used > width && (local > ColumnLayout.addressMin || remote > ColumnLayout.addressMin) {
      if local >= remote && local > ColumnLayout.addressMin { local -= 1 } else { remote -= 1 }
      used -= 1
    }
    var chosen: Set<Column> = Set(Column.required)
    for col in Column.optionalByPriority where (cutIn || col != .cutIn) && used + col.fixedWidth + 1 <= width {
      chosen.insert(col)
      used += col.fixedWidth + 1
    }
    let riskWidth = max(4, ColumnLayout.riskMin + width - used)
    columns = Column.allCases.filter { chosen.contains($0) }.map { col in
      switch col {
      case .local: return (col, local)
      case .remote: return (col, remote)
      case .risk: return (col, riskWidth)
      default: return (col, col.fixedWidth)
      }
    }
  }
}
