// The TUI's state and its reducer: keys in, effects out. Pure: no terminal, no clock, no kernel.
import KatopModel

public enum RowStatus: Hashable, Sendable {
  case unchanged
  /// First seen less than `AppState.highlightMs` ago.
  case new
  /// Gone from the latest snapshot; lingers greyed for `AppState.highlightMs`.
  case closed
}

public struct TableRow: Sendable {
  public var connection: Connection
  public var status: RowStatus
  public var cookie: UInt64 { connection.record.cookie }
}

/// The table's rows in display order: a view over the state's connections (which stay in one
/// shared array) plus the lingering closed ones, built on access, so 100k rows cost an index
/// list at most instead of a second 100k-Connection array (docs/performance.md).
public struct TableRows: RandomAccessCollection, Sendable {
  let connections: [Connection]
  let lingering: [Connection]
  /// nil: every connection, in order. Otherwise >= 0: `connections[e]`; < 0: `lingering[-e - 1]`.
  let entries: [Int32]?
  let firstSeen: [UInt64: UInt64]

  init(connections: [Connection] = [], lingering: [Connection] = [], entries: [Int32]? = nil, firstSeen: [UInt64: UInt64] = [:]) {
    self.connections = connections
    self.lingering = lingering
    self.entries = entries
    self.firstSeen = firstSeen
  }

  public var startIndex: Int { 0 }
  public var endIndex: Int { entries?.count ?? connections.count }

  public subscript(position: Int) -> TableRow {
    let e = entries.map { Int($0[position]) } ?? position
    if e < 0 { return TableRow(connection: lingering[-e - 1], status: .closed) }
    let c = connections[e]
    return TableRow(connection: c, status: firstSeen[c.record.cookie] != nil ? .new : .unchanged)
  }

  /// The row's cookie without building the row.
  public func cookie(at position: Int) -> UInt64 {
    let e = entries.map { Int($0[position]) } ?? position
    return e < 0 ? lingering[-e - 1].record.cookie : connections[e].record.cookie
  }

  public func index(ofCookie cookie: UInt64) -> Int? {
    indices.first { self.cookie(at: $0) == cookie }
  }
}

public enum PromptKind: Hashable, Sendable { case ports, text }

public enum Mode: Hashable, Sendable {
  case table, detail, help, sortMenu
  case prompt(PromptKind)
}

/// What the run loop must do after a key.
public enum Effect: Hashable, Sendable {
  case none
  case quit
  /// Kernel-side filters changed: collect again with this request.
  case recollect(CollectRequest)
  /// The middlebox profile changed: analyse the last snapshot again.
  case reanalyze(MiddleboxProfile)
}

/// Totals over the latest snapshot (not the lingering closed rows).
public struct ConnectionCounts: Hashable, Sendable {
  public var total = 0
  public var established = 0
  public var keepaliveOn = 0
  public var keepaliveOff = 0
  public var keepaliveUnknown = 0
  public var risky = [Severity: Int]()
  public init() {}
}

/// The interval the run loop really keeps when a refresh is slow, and why.
public struct SlowRefresh: Equatable, Sendable {
  /// Milliseconds between the starts of two refreshes.
  public var effectiveIntervalMs: Int
  /// How long the last refresh (collect, analyse, sort) took.
  public var refreshMs: Int
  public init(effectiveIntervalMs: Int, refreshMs: Int) {
    self.effectiveIntervalMs = effectiveIntervalMs
    self.refreshMs = refreshMs
  }
}

public struct AppState: Sendable {
  public static let intervalSteps = [250, 500, 1000, 2000, 3000, 5000, 10_000]
  /// How long new rows stay highlighted and closed rows linger.
  public static let highlightMs: UInt64 = 3000

  public var mode: Mode = .table
  public var promptText = ""
  /// The prompt opened with the current value in it, "selected": typing replaces it (as in a
  /// dialog's text field), Backspace clears it, Right/End keep it for editing.
  public var promptPrefilled = false
  public var sortMenuIndex = 0
  public var filter: ConnectionFilter
  public var sort: SortOrder
  public var profile: MiddleboxProfile
  public var intervalMs: Int
  public var paused = false
  /// Request fields other than ports (owners, socket options ...), from the command line.
  public var baseRequest: CollectRequest
  /// Table rows per page (set from the screen size by `setScreenSize`).
  public var pageSize = 20
  public var scroll = 0
  /// Scroll offset of the detail and help pages.
  public var pageScroll = 0
  /// One-shot message shown in the footer until the next key.
  public var statusMessage: String?
  public var statusIsError = false
  /// Last collection error, shown until a collection succeeds.
  public var collectError: String?
  /// Set by the run loop while a collection is in flight.
  public var refreshing = false
  /// Set by the run loop when refreshes are spaced wider than `intervalMs` because one refresh
  /// costs too much (docs/performance.md): the header shows both so the interval never lies.
  public var slowRefresh: SlowRefresh?

  public private(set) var connections: [Connection] = []
  public private(set) var system = SystemInfo()
  public private(set) var counts = ConnectionCounts()
  public private(set) var rows = TableRows()
  public private(set) var selectedIndex = 0
  public private(set) var selectedCookie: UInt64?
  public private(set) var nowMs: UInt64 = 0
  public private(set) var hasData = false
  /// How many of `rows` are lingering closed rows.
  public private(set) var shownClosed = 0

  /// The order `connections` is in (nil: unsorted).
  private var connectionsOrder: SortOrder?
  private var known: Set<UInt64> = []
  private var firstSeen: [UInt64: UInt64] = [:]
  private var closed: [UInt64: (connection: Connection, goneAtMs: UInt64)] = [:]
  /// The next snapshot is a new baseline (first one, or kernel filters changed): no new/closed marks.
  private var awaitingBaseline = true

  public init(
    filter: ConnectionFilter = ConnectionFilter(), sort: SortOrder = SortOrder(),
    profile: MiddleboxProfile = .aws, intervalMs: Int = 1000, baseRequest: CollectRequest = CollectRequest()
  ) {
    self.filter = filter
    self.sort = sort
    self.profile = profile
    self.intervalMs = min(max(intervalMs, 100), 60_000)
    self.baseRequest = baseRequest
  }

  /// What the collector should be asked for: the port filter runs in the kernel.
  public var collectRequest: CollectRequest {
    var r = baseRequest
    r.ports = filter.ports
    return r
  }

  public var selectedRow: TableRow? {
    rows.indices.contains(selectedIndex) ? rows[selectedIndex] : nil
  }

  // MARK: data

  /// Takes a new analysed snapshot: diffs it against the previous one by socket cookie.
  /// `sortedBy`: the order `new` is already in (the run loop sorts off the UI thread); when it is
  /// the current sort order the rows are not sorted again.
  public mutating func apply(connections new: [Connection], system: SystemInfo, now: UInt64, sortedBy: SortOrder? = nil) {
    nowMs = now
    var cookies = Set<UInt64>(minimumCapacity: new.count)
    for c in new { cookies.insert(c.record.cookie) }
    if awaitingBaseline {
      firstSeen.removeAll()
      closed.removeAll()
      awaitingBaseline = false
    } else {
      for c in new where !known.contains(c.record.cookie) { firstSeen[c.record.cookie] = now }
      for c in connections where !cookies.contains(c.record.cookie) {
        closed[c.record.cookie] = (c, now)
      }
      for cookie in closed.keys where cookies.contains(cookie) { closed[cookie] = nil }
    }
    known = cookies
    connections = new
    connectionsOrder = sortedBy
    self.system = system
    counts = AppState.count(new)
    hasData = true
    collectError = nil
    expire()
    rebuildRows()
  }

  /// Advances the clock; returns true when a highlight expired or a closed row vanished.
  @discardableResult
  public mutating func tick(now: UInt64) -> Bool {
    nowMs = now
    if expire() {
      rebuildRows()
      return true
    }
    return false
  }

  /// Drops expired highlights and closed rows; true when something changed.
  @discardableResult
  private mutating func expire() -> Bool {
    let before = firstSeen.count + closed.count
    firstSeen = firstSeen.filter { nowMs &- $0.value < AppState.highlightMs }
    closed = closed.filter { nowMs &- $0.value.goneAtMs < AppState.highlightMs }
    return firstSeen.count + closed.count != before
  }

  static func count(_ list: [Connection]) -> ConnectionCounts {
    var n = ConnectionCounts()
    n.total = list.count
    for c in list {
      if c.record.state == .established { n.established += 1 }
      // Like `katop --once`: keepalive is counted only where it runs (not LISTEN, TIME_WAIT ...).
      if KeepaliveMath.keepaliveApplies(c.record.state) || c.keepalive.enabled == true {
        switch c.keepalive.enabled {
        case true?: n.keepaliveOn += 1
        case false?: n.keepaliveOff += 1
        case nil: n.keepaliveUnknown += 1
        }
      }
      if let s = c.worstSeverity { n.risky[s, default: 0] += 1 }
    }
    return n
  }

  /// Filters and sorts into `rows`, then puts the selection back on the same socket.
  /// `connections` is kept in `sort` order (sorted again only when the order changes), so
  /// filtering keeps the order and lingering closed rows are merged in by binary search.
  public mutating func rebuildRows() {
    if connectionsOrder != sort {
      sort.sort(&connections)
      connectionsOrder = sort
    }
    let lingering = closed.values.map(\.connection).filter { filter.matches($0) }
    var entries: [Int32]?
    if !filter.isEmpty || !lingering.isEmpty {
      var list: [Int32] = []
      connections.withUnsafeBufferPointer { buffer in
        for i in buffer.indices where filter.isEmpty || filter.matches(buffer[i]) {
          list.append(Int32(truncatingIfNeeded: i))
        }
      }
      for (n, c) in lingering.enumerated() {
        let at = insertionIndex(of: c, in: list) { e in e < 0 ? lingering[-Int(e) - 1] : connections[Int(e)] }
        list.insert(Int32(-n - 1), at: at)
      }
      entries = list
    }
    shownClosed = lingering.count
    rows = TableRows(connections: connections, lingering: lingering, entries: entries, firstSeen: firstSeen)
    if let cookie = selectedCookie, let i = rows.index(ofCookie: cookie) {
      selectedIndex = i
    } else {
      select(selectedIndex)
    }
    keepSelectionVisible()
  }

  /// Binary search for where `c` goes in `list` (sorted by `sort`). SortOrder exposes only
  /// `sort(_:)`, so two rows are compared by sorting a pair (a total order: ties break on cookie).
  private func insertionIndex(of c: Connection, in list: [Int32], connection: (Int32) -> Connection) -> Int {
    var low = 0, high = list.count
    while low < high {
      let mid = (low + high) / 2
      var pair = [c, connection(list[mid])]
      sort.sort(&pair)
      if pair[0].record.cookie == c.record.cookie { high = mid } else { low = mid + 1 }
    }
    return low
  }

  // MARK: selection

  public mutating func select(_ index: Int) {
    selectedIndex = rows.isEmpty ? 0 : min(max(index, 0), rows.count - 1)
    selectedCookie = rows.indices.contains(selectedIndex) ? rows.cookie(at: selectedIndex) : nil
    keepSelectionVisible()
  }

  public mutating func setScreenSize(width: Int, height: Int) {
    pageSize = max(1, Layout.tableRows(height: height, noteLines: Layout.noteLines(self)))
    keepSelectionVisible()
  }

  mutating func keepSelectionVisible() {
    if selectedIndex < scroll { scroll = selectedIndex }
    if selectedIndex >= scroll + pageSize { scroll = selectedIndex - pageSize + 1 }
    scroll = max(0, min(scroll, rows.count - pageSize))
  }

  // MARK: keys

  public mutating func handle(_ key: Key) -> Effect {
    if key == .resize { return .none }
    statusMessage = nil
    statusIsError = false
    switch mode {
    case .prompt(let kind): return handlePrompt(key, kind)
    case .sortMenu: return handleSortMenu(key)
    case .help:
      switch KeyTable.action(for: key) {
      case .moveUp?, .moveDown?, .pageUp?, .pageDown?, .home?, .end?:
        if let a = KeyTable.action(for: key) { scrollPage(a) }
      case .quit? where key == .function(10): return .quit
      default:
        mode = .table
        pageScroll = 0
      }
      return .none
    case .table, .detail:
      guard let action = KeyTable.action(for: key) else { return .none }
      return perform(action)
    }
  }

  public mutating func perform(_ action: Action) -> Effect {
    switch action {
    case .moveUp, .moveDown, .pageUp, .pageDown, .home, .end:
      if mode == .detail { scrollPage(action) } else { move(action) }
    case .detail:
      if mode == .detail {
        mode = .table
      } else if selectedRow != nil {
        mode = .detail
        pageScroll = 0
      }
    case .back:
      if mode != .table {
        mode = .table
      } else if !filter.text.isEmpty {
        filter.text = ""
        rebuildRows()
      }
    case .portFilter:
      promptText = filter.ports.map(String.init).joined(separator: ",")
      promptPrefilled = !promptText.isEmpty
      mode = .prompt(.ports)
    case .textFilter:
      promptText = filter.text
      promptPrefilled = !promptText.isEmpty
      mode = .prompt(.text)
    case .riskyOnly:
      filter.riskyOnly.toggle()
      rebuildRows()
    case .cycleProfile:
      profile = profile.next
      statusMessage = "profile \(profile.name): idle timeout \(Format.duration(seconds: profile.idleTimeoutSeconds))"
      return .reanalyze(profile)
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
    case .slower:
      intervalMs = AppState.intervalSteps.first { $0 > intervalMs } ?? AppState.intervalSteps.last ?? intervalMs
    case .faster:
      intervalMs = AppState.intervalSteps.last { $0 < intervalMs } ?? AppState.intervalSteps.first ?? intervalMs
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
    case .escape:
      mode = .table
      if kind == .text {
        filter.text = ""
        rebuildRows()
      }
      return .none
    case .enter:
      if kind == .text {
        mode = .table
        return .none
      }
      switch AppState.parsePorts(promptText) {
      case .failure(let problem):
        statusMessage = problem.message
        statusIsError = true
        return .none
      case .success(let ports):
        mode = .table
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

  private mutating func handleSortMenu(_ key: Key) -> Effect {
    let all = SortColumn.allCases
    switch key {
    case .up, .char("k"): sortMenuIndex = max(0, sortMenuIndex - 1)
    case .down, .char("j"): sortMenuIndex = min(all.count - 1, sortMenuIndex + 1)
    case .enter:
      if all.indices.contains(sortMenuIndex) { sort.column = all[sortMenuIndex] }
      mode = .table
      rebuildRows()
    case .char("I"):
      sort.descending.toggle()
      rebuildRows()
    default:
      mode = .table
    }
    return .none
  }

  public struct PortProblem: Error, Equatable { public var message: String }

  /// Parses `3306, 5432` (commas and/or spaces); empty clears the filter.
  public static func parsePorts(_ text: String) -> Result<[UInt16], PortProblem> {
    var ports: [UInt16] = []
    for part in text.split(whereSeparator: { $0 == "," || $0 == " " }) {
      guard let p = UInt16(part), p > 0 else {
        return .failure(PortProblem(message: "bad port '\(part)': use comma-separated ports 1-65535"))
      }
      if !ports.contains(p) { ports.append(p) }
    }
    return .success(ports)
  }
}
