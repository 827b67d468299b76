// The TUI's state: the analysed connections, the rows built from them (filter, sort, new and
// closed highlighting), selection and scrolling. Keys are handled in AppState+Keys.swift.
// Pure: no terminal, no clock, no kernel.
import KatopModel

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

/// The interval the run loop really keeps when a refresh is slow, and why.
public struct SlowRefresh: Equatable, Sendable {
  /// Milliseconds between the starts of two refreshes.
  public var effectiveIntervalMs: Int
  /// How long the last refresh took: the worker's collect, analyse and sort plus the UI
  /// thread's share (applying the rows and drawing them).
  public var refreshMs: Int
  public init(effectiveIntervalMs: Int, refreshMs: Int) {
    self.effectiveIntervalMs = effectiveIntervalMs
    self.refreshMs = refreshMs
  }
}

/// One socket's own settings read for the detail page (`options` nil: could not be read).
public struct Inspection: Equatable, Sendable {
  public var cookie: UInt64
  public var options: SocketOptions?
  public init(cookie: UInt64, options: SocketOptions?) {
    self.cookie = cookie
    self.options = options
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
  /// Path budgets and what was watched of each flow (FlowActivity, fed every refresh): the Cut in
  /// column, the detail ladder and per-flow risks. nil: risks judged against `profile` alone.
  public var flow: FlowContext?
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
  /// Settings read on demand for the detail view of a socket the collector did not read
  /// (keepalive known off from the timers): set by the run loop, shown by the detail page.
  public var inspection: Inspection?

  public private(set) var connections: [Connection] = []
  public private(set) var system = SystemInfo()
  /// Totals over the latest snapshot (not the lingering closed rows).
  public private(set) var counts = ConnectionCounts()
  public private(set) var rows = TableRows()
  public private(set) var selectedIndex = 0
  public private(set) var selectedCookie: UInt64?
  public private(set) var nowMs: UInt64 = 0
  public private(set) var hasData = false
  /// How many of `rows` are lingering closed rows.
  public var shownClosed: Int { rows.lingering.count }

  /// The order `connections` is in (nil: unsorted).
  private var connectionsOrder: SortOrder?
  private var known: Set<UInt64> = []
  private var firstSeen: [UInt64: UInt64] = [:]
  private var closed: [UInt64: (connection: Connection, goneAtMs: UInt64)] = [:]
  /// When `tick` next has something to expire (nil: nothing highlighted or lingering).
  private var nextExpiryMs: UInt64?
  /// The next snapshot is a new baseline (first one, or kernel filters changed): no new/closed marks.
  var awaitingBaseline = true

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
    // New sockets are looked for every 3 refreshes when the base request asks for lookups at
    // all; it follows the interval keys (docs/performance.md, round 4).
    if r.discoveryIntervalMs != nil { r.discoveryIntervalMs = UInt64(AppState.discoveryRefreshes * intervalMs) }
    return r
  }

  /// Refreshes per walk of a port-filtered table (the others look known sockets up).
  public static let discoveryRefreshes = 3

  public var selectedRow: TableRow? {
    rows.indices.contains(selectedIndex) ? rows[selectedIndex] : nil
  }

  /// The connection whose settings the detail page would like read (keepalive known off from
  /// the timers, so the collector skipped it, and an owner to read it through), once per row.
  public var wantsInspection: Connection? {
    guard mode == .detail, let c = selectedRow?.connection, c.keepalive.source == .timer, c.owner != nil,
      inspection?.cookie != c.record.cookie
    else { return nil }
    return c
  }

  // MARK: data

  /// Takes a new analysed snapshot: diffs it against the previous one by socket cookie.
  /// `sortedBy`: the order `new` is already in (the run loop sorts off the UI thread); when it is
  /// the current sort order the rows are not sorted again.
  public mutating func apply(connections new: [Connection], system: SystemInfo, now: UInt64, sortedBy: SortOrder? = nil) {
    var new = new, sortedBy = sortedBy
    if var f = flow {
      f.profile = profile
      f.activity?.observe(new.map(\.record), nowMs: now)
      Analyzer.reevaluate(&new, context: f, system: system)
      flow = f
      sortedBy = nil  // risks may have changed: sort here
    }
    nowMs = now
    var cookies = Set<UInt64>(minimumCapacity: new.count)
    for c in new { cookies.insert(c.record.cookie) }
    if awaitingBaseline {
      firstSeen.removeAll()
      closed.removeAll()
      awaitingBaseline = false
    } else {
      firstSeen = firstSeen.filter { now &- $0.value < AppState.highlightMs }
      for c in new where !known.contains(c.record.cookie) { firstSeen[c.record.cookie] = now }
      for c in connections where !cookies.contains(c.record.cookie) {
        closed[c.record.cookie] = (c, now)
      }
      closed = closed.filter { !cookies.contains($0.key) && now &- $0.value.goneAtMs < AppState.highlightMs }
    }
    known = cookies
    connections = new
    connectionsOrder = sortedBy
    self.system = system
    counts = ConnectionCounts(new)
    hasData = true
    collectError = nil
    rebuildRows()
    nextExpiryMs = earliestExpiry()
  }

  /// Advances the clock; returns true when a highlight expired or a closed row vanished.
  /// "New" is decided from `nowMs` when a row is read, so only a closed row's expiry rebuilds.
  @discardableResult
  public mutating func tick(now: UInt64) -> Bool {
    nowMs = now
    guard let next = nextExpiryMs, now >= next else { return false }
    if closed.contains(where: { now &- $0.value.goneAtMs >= AppState.highlightMs }) {
      closed = closed.filter { now &- $0.value.goneAtMs < AppState.highlightMs }
      rebuildRows()
    } else {
      rows.nowMs = now
    }
    nextExpiryMs = earliestExpiry()
    return true
  }

  /// When the next new-row highlight or closed row runs out (nil: none left).
  private func earliestExpiry() -> UInt64? {
    var earliest: UInt64?
    func consider(_ since: UInt64) {
      guard nowMs &- since < AppState.highlightMs else { return }
      earliest = min(earliest ?? .max, since + AppState.highlightMs)
    }
    for since in firstSeen.values { consider(since) }
    for entry in closed.values { consider(entry.goneAtMs) }
    return earliest
  }

  /// Filters and sorts into `rows`, then puts the selection back on the same socket.
  /// `connections` is kept in `sort` order (sorted again only when the order changes), so
  /// filtering keeps the order and the lingering closed rows, sorted on their own, are merged in.
  public mutating func rebuildRows() {
    if connectionsOrder != sort {
      sort.sort(&connections)
      connectionsOrder = sort
    }
    var lingering = closed.values.map(\.connection).filter { filter.matches($0) }
    lingering.sort(by: sort.areInIncreasingOrder)
    var entries: [Int32]?
    if !filter.isEmpty || !lingering.isEmpty {
      var list: [Int32] = []
      connections.withUnsafeBufferPointer { buffer in
        for i in buffer.indices where filter.isEmpty || filter.matches(buffer[i]) {
          list.append(Int32(truncatingIfNeeded: i))
        }
      }
      if !lingering.isEmpty { list = merge(lingering: lingering, into: list) }
      entries = list
    }
    rows = TableRows(connections: connections, lingering: lingering, entries: entries, firstSeen: firstSeen, nowMs: nowMs)
    if let cookie = selectedCookie, let i = rows.index(ofCookie: cookie) {
      selectedIndex = i
      keepSelectionVisible()
    } else {
      select(selectedIndex)
    }
  }

  /// Merges the sorted `lingering` rows (as entries -1, -2 ...) into `list` (indices into the
  /// sorted `connections`) in one append-only pass.
  private func merge(lingering: [Connection], into list: [Int32]) -> [Int32] {
    var merged: [Int32] = []
    merged.reserveCapacity(list.count + lingering.count)
    var next = 0
    connections.withUnsafeBufferPointer { buffer in
      for e in list {
        while next < lingering.count && sort.areInIncreasingOrder(lingering[next], buffer[Int(e)]) {
          merged.append(Int32(-next - 1))
          next += 1
        }
        merged.append(e)
      }
    }
    while next < lingering.count {
      merged.append(Int32(-next - 1))
      next += 1
    }
    return merged
  }

  // MARK: selection

  public mutating func select(_ index: Int) {
    selectedIndex = rows.isEmpty ? 0 : min(max(index, 0), rows.count - 1)
    selectedCookie = rows.indices.contains(selectedIndex) ? rows.cookie(at: selectedIndex) : nil
    keepSelectionVisible()
  }

  public mutating func setScreenSize(height: Int) {
    pageSize = max(1, Layout.tableRows(height: height, noteLines: Layout.noteLines(self)))
    keepSelectionVisible()
  }

  mutating func keepSelectionVisible() {
    if selectedIndex < scroll { scroll = selectedIndex }
    if selectedIndex >= scroll + pageSize { scroll = selectedIndex - pageSize + 1 }
    scroll = max(0, min(scroll, rows.count - pageSize))
  }
}
