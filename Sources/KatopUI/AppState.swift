// The TUI's state: the connection store, the rows shown from it (filter, sort, new and closed
// highlighting from the store's stamps), selection and scrolling. Keys are handled in AppState+Keys.swift.
// Pure: no terminal, no clock, no kernel.
import KatopModel

public enum PromptKind: Hashable, Sendable {
  case ports, text
  /// The values of a pending set-keepalive (`e` in its confirmation).
  case keepaliveValues
}

public enum Mode: Hashable, Sendable {
  case table, detail, help, sortMenu
  /// Recent deaths, newest first (L; AppState+Closed.swift).
  case closed
  /// The network namespaces and their settings (N; NamespaceView.swift).
  case namespaces
  /// A set-keepalive / kill / undo waits for y (AppState+Actions.swift).
  case confirm
  case prompt(PromptKind)
}

/// What the run loop must do after a key.
public enum Effect: Hashable, Sendable {
  case none
  case quit
  /// Kernel-side filters changed: collect again with this request.
  case recollect(CollectRequest)
  /// Confirmed: carry out this plan, then `finishAction` with the results.
  case act(ActionPlan)
}

/// How fresh each part of the table is, when that is not simply "every interval" (set by the
/// run loop from what refreshes cost).
public struct RefreshCadence: Equatable, Sendable {
  /// Milliseconds between refreshes of the rows on screen.
  public var rowsOnScreenMs: Int
  /// Milliseconds between walks of the whole table (counts, new and closed sockets, the other
  /// rows); equal to `rowsOnScreenMs` when every refresh walks.
  public var fullTableMs: Int
  /// What the last walk cost: the collection plus the UI thread's share (merging, sorting).
  public var costMs: Int
  public init(rowsOnScreenMs: Int, fullTableMs: Int, costMs: Int) {
    self.rowsOnScreenMs = rowsOnScreenMs
    self.fullTableMs = fullTableMs
    self.costMs = costMs
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
  /// Path budgets (each store row keeps what was watched of its flow): the Cut in column, the
  /// detail ladder and per-flow risks. nil: risks judged against `profile` alone.
  public var flow: FlowContext? {
    get { store.flow }
    set { store.flow = newValue }
  }
  public var intervalMs: Int
  public var paused = false
  /// The table's columns: by width, or a fixed list (`--columns`, the column key's presets).
  public var columns: ColumnChoice = .auto
  /// `--columns`: the first fixed list the column key offers.
  public var customColumns: [Column]?
  /// The screen's width (clicks on column headers map through the same layout as the renderer).
  public internal(set) var screenWidth = 80
  /// The detail page starts with the connection's one-line summary (`c`).
  public var showsSummary = false
  /// The grouping (`g`): one row per process, remote host or service (AppState+Groups.swift).
  public internal(set) var groupBy: GroupBy = .none
  /// The groups of the filtered rows, sorted (empty without a grouping).
  public internal(set) var groups: [ConnectionGroup] = []
  /// The group drilled into (Enter on a group): the table shows its connections; nil: the groups.
  public internal(set) var drill: GroupKey?
  public internal(set) var groupIndex = 0
  var groupScroll = 0
  var selectedGroupKey: GroupKey?
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
  /// Set by the run loop when the table or part of it is refreshed less often than `intervalMs`
  /// because a walk costs too much (docs/performance.md): the header says so, so the interval
  /// never lies.
  public var cadence: RefreshCadence?
  /// Settings read on demand for the detail view of a socket the collector did not read
  /// (keepalive known off from the timers): set by the run loop, shown by the detail page.
  public var inspection: Inspection?
  /// --readonly, the pending confirmation and the undo list (AppState+Actions.swift).
  public var actions = ActionState()
  public var readonly: Bool { actions.readonly }

  /// Connections that died this session, newest kept (the Closed view, L).
  public internal(set) var closed = ClosedLog()
  /// The namespaces the N view shows, read when it opens (nil: not read yet / asked for again).
  public var namespaceList: [NamespaceFacts]?
  /// A filter prompt opened from the Closed view returns to it.
  var promptReturnsToClosed = false

  /// Every connection known, persistent across refreshes (rows keyed by socket cookie).
  public private(set) var store: ConnectionStore
  /// The host facts before the walk being merged in parts (for the TcpExt deltas at its end).
  private var walkSystemBefore = SystemInfo()
  public var system: SystemInfo { store.system }
  /// How the last full collection went (source, notes ...).
  public var status: CollectorStatus { store.status }
  /// Totals over the open connections (not the lingering closed rows).
  public var counts: ConnectionCounts { store.counts }
  public private(set) var rows = TableRows()
  public private(set) var selectedIndex = 0
  public private(set) var selectedCookie: UInt64?
  public private(set) var nowMs: UInt64 = 0
  public private(set) var hasData = false
  /// How the namespace's TcpExt keepalive counters moved over the last refresh (the header shows
  /// them when they moved).
  public private(set) var tcpExtDelta = TcpExtDelta()
  /// How many of `rows` are lingering closed rows.
  public private(set) var shownClosed = 0

  /// When `tick` next has something to expire (nil: nothing highlighted or lingering).
  private var nextExpiryMs: UInt64?
  /// The view's slots and the filter and order they were built with (a partial refresh re-places
  /// only its rows in them).
  private var viewSlots: [Int32] = []
  private var viewOrder: (filter: ConnectionFilter, sort: SortOrder)?
  /// The next snapshot is a new baseline (kernel filters changed): the store starts over, no
  /// new/closed marks.
  var awaitingBaseline = false

  public init(
    filter: ConnectionFilter = ConnectionFilter(), sort: SortOrder = SortOrder(),
    profile: MiddleboxProfile = .aws, intervalMs: Int = 1000, baseRequest: CollectRequest = CollectRequest()
  ) {
    self.filter = filter
    self.sort = sort
    self.profile = profile
    self.intervalMs = min(max(intervalMs, 100), 60_000)
    self.baseRequest = baseRequest
    self.store = ConnectionStore(profile: profile, lingerMs: AppState.highlightMs)
  }

  /// What the collector should be asked for: the port filter runs in the kernel.
  public var collectRequest: CollectRequest {
    var r = baseRequest
    r.ports = filter.ports
    // New sockets are looked for every 3 refreshes when the base request asks for lookups at
    // all; it follows the interval keys (docs/performance.md).
    if r.discoveryIntervalMs != nil { r.discoveryIntervalMs = UInt64(AppState.discoveryRefreshes * intervalMs) }
    return r
  }

  /// Refreshes per walk of a port-filtered table (the others look known sockets up).
  public static let discoveryRefreshes = 3

  public var selectedRow: TableRow? {
    rows.indices.contains(selectedIndex) ? rows[selectedIndex] : nil
  }

  /// The open sockets of the rows on screen (and the detail page's), for lookups between walks.
  public var recordsOnScreen: [SocketRecord] {
    var out: [SocketRecord] = []
    let end = min(rows.count, scroll + pageSize)
    if scroll < end {
      for i in scroll..<end {
        let r = rows[i]
        if r.status != .closed { out.append(r.connection.record) }
      }
    }
    if mode == .detail, let r = selectedRow, r.status != .closed, !out.contains(r.connection.record) {
      out.append(r.connection.record)
    }
    return out
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

  /// Merges a collection into the store and rebuilds the rows. `coverage`: whether rows missing
  /// from the snapshot are closed; `ownersRead` / `optionsRead`: whether its owners and settings
  /// are current (else the store keeps the ones it has).
  public mutating func apply(
    snapshot: Snapshot, coverage: SnapshotCoverage = .complete, now: UInt64, ownersRead: Bool = true,
    optionsRead: Bool = true
  ) {
    let streamed = store.isMergingWalk && coverage == .complete
    let before = streamed ? walkSystemBefore : beginApply(now: now)
    nowMs = now
    if streamed {
      store.endWalk(snapshot, nowMs: now)
    } else {
      store.merge(snapshot, coverage: coverage, nowMs: now, ownersRead: ownersRead, optionsRead: optionsRead)
    }
    if coverage == .complete, store.flow != nil {
      // Which end each socket is (the detail page's advice): the listeners among the store's rows
      // (a walk merged in parts has no array of all its records).
      let listenersCollected = collectRequest.states & TCPState.listen.mask != 0
      store.flow?.listeningPorts = listenersCollected ? store.rows.withUnsafeBufferPointer(Grouping.listeningPorts) : nil
      // HZ for the timer-wheel margins, when no kernel config said (KernelHZ.swift).
      if store.flow?.hz == nil,
        let hz = KernelHZ.fromGranularity(store.rows.lazy.filter { !$0.vacant }.map(\.connection.record))
      {
        store.flow?.hz = hz.hz
      }
    }
    endApply(systemBefore: before)
  }

  /// Drops the walk being merged in parts (its request is no longer the current one): its rows
  /// stay as they are, none is closed.
  public mutating func abandonWalk() {
    guard store.isMergingWalk else { return }
    store.abandonWalk()
    rebuildRows()
  }

  /// Merges one part of a walk the collector hands on as it goes (the walk's end comes as
  /// `apply(snapshot:)`, complete coverage). The rows are rebuilt only then.
  public mutating func applyWalkPart(_ part: WalkPart, now: UInt64, ownersRead: Bool = true, optionsRead: Bool = true) {
    if !store.isMergingWalk {
      walkSystemBefore = beginApply(now: now)
      store.beginWalk(system: part.system, expectedCount: part.expectedCount, ownersRead: ownersRead, optionsRead: optionsRead)
    }
    store.mergeWalkPart(part, nowMs: now)
  }

  /// Merges connections analysed elsewhere (tests).
  public mutating func apply(
    connections: [Connection], system: SystemInfo, status: CollectorStatus = CollectorStatus(), now: UInt64,
    coverage: SnapshotCoverage = .complete
  ) {
    let before = beginApply(now: now)
    store.merge(connections: connections, system: system, status: status, coverage: coverage, nowMs: now)
    endApply(systemBefore: before)
  }

  /// Re-evaluates the risks for another middlebox profile.
  public mutating func applyProfile(_ new: MiddleboxProfile) {
    profile = new
    rows = TableRows()  // the store's rows are then not shared: updated in place, not copied
    store.setProfile(new)
    rebuildRows()
  }

  /// Returns the host facts before the merge (for the TcpExt deltas).
  private mutating func beginApply(now: UInt64) -> SystemInfo {
    nowMs = now
    let before = store.system
    rows = TableRows()  // the store's rows are then not shared: updated in place, not copied
    if awaitingBaseline {
      store.reset()
      awaitingBaseline = false
    }
    if store.profile != profile { store.setProfile(profile) }
    return before
  }

  private mutating func endApply(systemBefore: SystemInfo) {
    tcpExtDelta = hasData ? TcpExtDelta(from: systemBefore, to: store.system) : TcpExtDelta()
    hasData = true
    collectError = nil
    if let changed = store.lastPartialChanges, let order = viewOrder, order.filter == filter, order.sort == sort {
      replace(changed)
    } else {
      rebuildRows()
    }
  }

  /// Re-places the rows a partial refresh changed in the sorted view (a few binary searches
  /// instead of sorting 100k slots again).
  private mutating func replace(_ changed: [Int32]) {
    let moved = Set(changed)
    var slots = viewSlots
    slots.removeAll { moved.contains($0) }
    let filter = self.filter, sort = self.sort
    store.rows.withUnsafeBufferPointer { b in
      for slot in moved where !b[Int(slot)].vacant && (filter.isEmpty || AppState.shows(b[Int(slot)], filter)) {
        let c = b[Int(slot)].connection
        var lo = 0, hi = slots.count
        while lo < hi {
          let mid = (lo + hi) / 2
          if sort.areInIncreasingOrder(b[Int(slots[mid])].connection, c) { lo = mid + 1 } else { hi = mid }
        }
        slots.insert(slot, at: lo)
      }
    }
    showView(slots)
  }

  /// Advances the clock; returns true when a highlight expired or a closed row vanished.
  /// "New" is decided from `nowMs` when a row is read, so only a closed row's expiry rebuilds.
  @discardableResult
  public mutating func tick(now: UInt64) -> Bool {
    nowMs = now
    guard let next = nextExpiryMs, now >= next else { return false }
    if let expiry = store.nextExpiryMs(), now >= expiry {
      rows = TableRows()
      store.expire(nowMs: now)
      rebuildRows()
    } else {
      rows.nowMs = now
      nextExpiryMs = earliestExpiry()
    }
    return true
  }

  /// When the next new-row highlight or closed row runs out (nil: none left).
  private func earliestExpiry() -> UInt64? {
    var earliest: UInt64?
    for r in store.rows {
      for since in [r.firstSeenMs, r.closedAtMs] {
        guard let since, nowMs &- since < AppState.highlightMs else { continue }
        earliest = min(earliest ?? .max, since &+ AppState.highlightMs)
      }
    }
    return earliest
  }

  /// Filters and sorts the store's rows into `rows` (open and lingering closed ones alike), then
  /// puts the selection back on the same socket.
  public mutating func rebuildRows() {
    let filter = self.filter
    var slots: [Int32] = []
    var closed = 0
    store.rows.withUnsafeBufferPointer { b in
      slots.reserveCapacity(b.count)
      for i in b.indices where !b[i].vacant && (filter.isEmpty || AppState.shows(b[i], filter)) {
        slots.append(Int32(truncatingIfNeeded: i))
        if b[i].isClosed { closed += 1 }
      }
    }
    shownClosed = closed
    viewOrder = (filter, sort)
    showView(sort.order(slots, of: store.rows))
  }

  /// Whether the view shows a store row: the filter's verdict, where a closed row that was risky
  /// while open still counts as risky for its linger.
  static func shows(_ row: StoredConnection, _ filter: ConnectionFilter) -> Bool {
    filter.matches(row.connection, wasRisky: row.isClosed && row.wasRisky)
  }

  private mutating func showView(_ slots: [Int32]) {
    viewSlots = slots
    var shown = slots
    if groupBy != .none {
      regroup(slots)
      if let drill { shown = groups.first { $0.key == drill }?.members ?? [] }
    }
    rows = TableRows(store: store.rows, slots: shown, nowMs: nowMs)
    nextExpiryMs = earliestExpiry()
    if let cookie = selectedCookie, let i = rows.index(ofCookie: cookie) {
      selectedIndex = i
      keepSelectionVisible()
    } else {
      select(selectedIndex)
    }
  }

  // MARK: selection

  public mutating func select(_ index: Int) {
    selectedIndex = rows.isEmpty ? 0 : min(max(index, 0), rows.count - 1)
    selectedCookie = rows.indices.contains(selectedIndex) ? rows.cookie(at: selectedIndex) : nil
    keepSelectionVisible()
  }

  public mutating func setScreenSize(height: Int, width: Int? = nil) {
    if let width { screenWidth = width }
    pageSize = max(1, Layout.tableRows(height: height, noteLines: Layout.noteLines(self)))
    keepSelectionVisible()
  }

  mutating func keepSelectionVisible() {
    if selectedIndex < scroll { scroll = selectedIndex }
    if selectedIndex >= scroll + pageSize { scroll = selectedIndex - pageSize + 1 }
    scroll = max(0, min(scroll, rows.count - pageSize))
  }
}

/// The change of the TcpExt counters that tell about keepalive between two refreshes.
public struct TcpExtDelta: Sendable, Equatable {
  /// TCPKeepAlive: keepalive probes sent.
  public var keepaliveProbes: UInt64 = 0
  /// TCPAbortOnTimeout: connections given up after their retries or keepalive probes.
  public var abortsOnTimeout: UInt64 = 0

  public init() {}

  init(from a: SystemInfo, to b: SystemInfo) {
    func delta(_ x: UInt64?, _ y: UInt64?) -> UInt64 {
      guard let x, let y, y >= x else { return 0 }
      return y - x
    }
    keepaliveProbes = delta(a.keepaliveProbesSent, b.keepaliveProbesSent)
    abortsOnTimeout = delta(a.abortOnTimeout, b.abortOnTimeout)
  }

  public var isZero: Bool { keepaliveProbes == 0 && abortsOnTimeout == 0 }
}
