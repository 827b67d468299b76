// Table columns: what each shows, how wide it is, and which drop first on narrow terminals.
import KatopModel

public enum Column: String, CaseIterable, Sendable {
  case local, remote, state, owner, user, idle, keepalive = "ka", timer, settings, detect, cutIn = "cut-in", risk
  case command

  /// The sort column's title (one source for the table header and the sort menu).
  var title: String { self == .cutIn ? FlowText.cutInTitle : sortColumn?.title ?? "Settings" }

  /// `--columns local,remote,ka`: the names are the raw values (`cutin` also for `cut-in`).
  public static func parseList(_ text: String) -> Result<[Column], ColumnListProblem> {
    var out: [Column] = []
    for part in text.split(separator: ",", omittingEmptySubsequences: true) {
      let name = String(part.filter { $0 != " " }).lowercased()
      guard let column = Column(rawValue: name == "cutin" ? "cut-in" : name) else {
        return .failure(ColumnListProblem(message: "unknown column '\(name)' (columns: \(Column.allCases.map(\.rawValue).joined(separator: ", ")))"))
      }
      if !out.contains(column) { out.append(column) }
    }
    if out.isEmpty { return .failure(ColumnListProblem(message: "no column named (columns: \(Column.allCases.map(\.rawValue).joined(separator: ", ")))")) }
    return .success(out)
  }

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
    case .user: return .user
    case .command: return .command
    }
  }

  /// The widest a column gets (its texts on screen decide below that) and the narrowest it
  /// shrinks to on a narrow screen; Risk and Command take what is left.
  var widths: (max: Int, min: Int) {
    switch self {
    case .state: return (10, 5)
    case .owner: return (20, 10)
    case .user: return (10, 4)
    case .idle: return (6, 6)
    case .keepalive: return (3, 3)
    case .timer: return (12, 12)
    case .settings: return (10, 10)
    case .detect, .cutIn: return (7, 7)
    case .local, .remote: return (ColumnLayout.addressCap, ColumnLayout.addressMin)
    case .risk: return (ColumnLayout.riskMin, 8)
    case .command: return (60, 12)
    }
  }

  var rightAligned: Bool { self == .idle || self == .detect || self == .cutIn }
  /// Local / Remote: cut in the address, the port kept.
  var isEndpoint: Bool { self == .local || self == .remote }

  /// What 80 columns show (Cut in only with path budgets), and the columns wider screens add,
  /// in the order they join.
  static let primary: [Column] = [.local, .remote, .state, .owner, .idle, .keepalive, .cutIn, .risk]
  static let optionalByPriority: [Column] = [.detect, .timer, .settings, .user, .command]
  /// Dropped first when even the primary columns do not fit (a 40-column terminal).
  static let dropFirst: [Column] = [.cutIn, .owner, .state]

  // MARK: cell text

  /// The cell text; `flow` gives the Cut in column its verdict (`-` without one), with what the
  /// row `watched` of the flow; `shortLocal` (a port filter is on) shows the local side as its
  /// port alone.
  func text(_ c: Connection, flow: FlowContext?, watched: FlowActivity.Entry? = nil, shortLocal: Bool = false) -> String {
    switch self {
    case .cutIn: return flow.map { FlowText.cutIn(FlowBudget.verdict(c, context: $0, watched: watched)) } ?? "-"
    case .local where shortLocal: return ":\(c.record.local.port)"
    default: return text(c)
    }
  }

  func text(_ c: Connection) -> String {
    switch self {
    case .cutIn: return "-"

    case .local: return Format.endpoint(c.record.local)
    case .remote: return Format.endpoint(c.record.remote)
    case .state: return Column.shortState(c.record.state)
    // Shared with `katop --once` (ConnectionText): the same words, control characters escaped.
    case .owner: return ConnectionText.owner(c)
    case .user: return ConnectionText.user(c)
    case .command: return ConnectionText.commandLine(c)
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

public struct ColumnListProblem: Error, Equatable { public var message: String }

/// Which columns the table shows: chosen by the screen's width, or a fixed list (`--columns`,
/// a preset of the column key).
public enum ColumnChoice: Hashable, Sendable {
  case auto
  case fixed(name: String, columns: [Column])

  public var name: String {
    switch self {
    case .auto: return "auto"
    case .fixed(let name, _): return name
    }
  }

  /// The `--columns` list.
  public static func custom(_ columns: [Column]) -> ColumnChoice { .fixed(name: "--columns", columns: columns) }

  /// The presets the column key cycles through after `auto` (and the `--columns` list, first).
  public static let presets: [ColumnChoice] = [
    .fixed(name: "process", columns: [.owner, .user, .remote, .state, .idle, .keepalive, .risk, .command]),
    .fixed(name: "keepalive", columns: [.remote, .state, .idle, .keepalive, .timer, .settings, .detect, .cutIn, .risk]),
    .fixed(name: "addresses", columns: [.local, .remote, .state, .idle, .keepalive, .cutIn, .risk]),
  ]
}

/// Column widths for one screen width. Each column fits the texts of the rows on screen (capped);
/// Risk (or Command, when shown) takes what is left; wider screens add the optional columns by
/// priority while they fit.
struct ColumnLayout {
  var columns: [(column: Column, width: Int)]
  /// A port filter is on and the columns did not fit: Local shows its port alone.
  var shortLocal = false

  static let addressCap = 47
  static let addressMin = 9
  static let riskMin = 12  // "no-keepalive" whole; longer ids get an ellipsis
  static let riskWide = 20

  /// `cutIn`: offer the Cut in column (only with path budgets, AppState.flow).
  init<Rows: Sequence<TableRow>>(
    width: Int, visible: Rows, cutIn: Bool = false, portFilter: Bool = false, choice: ColumnChoice = .auto
  ) {
    var wanted: [Column]
    switch choice {
    case .auto: wanted = Column.primary.filter { cutIn || $0 != .cutIn }
    case .fixed(_, let list): wanted = list.filter { cutIn || $0 != .cutIn }
    }
    // The width each candidate column would like: its title and the texts on screen.
    var natural: [Column: Int] = [:]
    let measured = Set(wanted + (choice == .auto ? Column.optionalByPriority : []))
    for col in measured { natural[col] = col.title.count + (col.rightAligned ? 0 : 1) }
    var shortLocalWidth = Column.local.title.count + 1
    for row in visible {
      for col in measured where col != .cutIn && col.widths.max > col.widths.min {
        natural[col] = max(natural[col] ?? 0, col.text(row.connection, flow: nil).count)
      }
      if portFilter { shortLocalWidth = max(shortLocalWidth, 1 + String(row.connection.record.local.port).count) }
    }
    var widths: [Column: Int] = [:]
    for col in measured {
      let w = col.widths
      // Risk asks for "no-keepalive" only when a row on screen has a risk.
      widths[col] = col == .risk
        ? min(ColumnLayout.riskMin, max(col.title.count + 1, natural[col] ?? 0))
        : min(w.max, max(natural[col] ?? 0, col.fixedOrTitle))
    }
    func used(_ cols: [Column]) -> Int { cols.reduce(max(0, cols.count - 1)) { $0 + (widths[$1] ?? 0) } }
    // Too wide with a port filter on: the filtered port is known, Local shows its port alone
    // (the address is this host's) and Remote stays whole.
    if portFilter && wanted.contains(.local) && used(wanted) > width {
      shortLocal = true
      widths[.local] = shortLocalWidth
    }
    // Too wide: Local first (this host's own address, the same on most rows), then the widest
    // shrinkable column one step at a time, then drop columns.
    let shrinkOrder: [Column] = (shortLocal ? [] : [.local]) + [.remote, .command, .owner, .user, .state, .risk]
    while used(wanted) > width {
      if !shortLocal, wanted.contains(.local), let local = widths[.local], local > Column.local.widths.min {
        widths[.local] = local - 1
        continue
      }
      let candidates = shrinkOrder.filter { wanted.contains($0) && (widths[$0] ?? 0) > $0.widths.min }
      if let widest = candidates.max(by: { (widths[$0] ?? 0) < (widths[$1] ?? 0) }) {
        widths[widest, default: 0] -= 1
        continue
      }
      guard choice == .auto, let drop = Column.dropFirst.first(where: { wanted.contains($0) }) else { break }
      wanted.removeAll { $0 == drop }
    }
    if choice == .auto {
      // Risk keeps room for its texts (up to `riskWide`) before optional columns join.
      let riskRoom = max(0, min(ColumnLayout.riskWide, natural[.risk] ?? 0) - (widths[.risk] ?? 0))
      for col in Column.optionalByPriority where used(wanted) + (widths[col] ?? 0) + 1 + riskRoom <= width {
        if col == .command && used(wanted) + col.widths.min + 1 > width { continue }
        wanted.append(col)
      }
      wanted = Column.allCases.filter { wanted.contains($0) }
    }
    // The last column's neighbour takes the rest: with Command shown, Risk grows to its texts
    // (at most `riskWide`) and Command takes what is left; else Risk takes it all.
    if wanted.contains(.command) {
      if wanted.contains(.risk) {
        let grow = min(ColumnLayout.riskWide, natural[.risk] ?? 0) - (widths[.risk] ?? 0)
        widths[.risk, default: 0] += max(0, min(grow, width - used(wanted) - Column.command.widths.min))
      }
      widths[.command] = max(Column.command.widths.min, (widths[.command] ?? 0) + width - used(wanted))
    } else if wanted.contains(.risk) {
      widths[.risk, default: 0] = max(Column.risk.widths.min, (widths[.risk] ?? 0) + width - used(wanted))
    }
    // A fixed list wider than the screen: the columns that start off screen are left out.
    var x = 0
    var out: [(Column, Int)] = []
    for col in wanted where x < width {
      out.append((col, widths[col] ?? col.widths.min))
      x += (widths[col] ?? 0) + 1
    }
    columns = out
  }
}

extension Column {
  /// Columns of one width: that width; the others at least their title.
  var fixedOrTitle: Int { widths.max == widths.min ? widths.max : min(widths.max, title.count) }
}
