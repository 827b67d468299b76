// The TUI's persistent table of connections (htop's Table): one row per socket (cookie), kept
// across refreshes and updated in place. Each refresh merges the collector's records into it:
// new rows are stamped, rows gone from the kernel are marked closed and linger, unchanged rows are
// not rebuilt. The view (filter, sort) is a list of slots into `rows`.

/// What a snapshot covers, for `ConnectionStore.merge`.
public enum SnapshotCoverage: String, Sendable {
  /// Every socket the request asks for: a row missing from it is closed.
  case complete
  /// Exact lookups of some known sockets: rows missing from it are only not refreshed.
  case partial
}

/// One row of the store: the analysed connection and what persists about it across refreshes.
/// The times are monotonic ms, stored without Optionals (`none`: not set), so 100k rows stay small.
public struct StoredConnection: Sendable {
  static let none = UInt64.max
  public internal(set) var connection: Connection
  /// The settings last read from the socket itself (reused when a refresh does not read them).
  public internal(set) var options: SocketOptions?
  var storedFirstSeenMs: UInt64
  var storedClosedAtMs = StoredConnection.none
  /// What was watched of the flow across refreshes (when its segment and byte counters last
  /// moved, compared record to record): the flow idle and "kept by the peer" of FlowBudget.
  public internal(set) var watched: FlowActivity.Entry
  /// Which merge last carried the socket.
  var seenInMerge: UInt32
  /// A free slot (its row was dropped after lingering).
  public internal(set) var vacant = false
  /// At least one risk at some refresh while open: a closed row lingers in a risky-only view even
  /// when its last states (FIN-WAIT, LAST-ACK) carried none.
  public internal(set) var wasRisky = false

  init(connection: Connection, options: SocketOptions?, firstSeenMs: UInt64?, nowMs: UInt64, merge: UInt32) {
    self.connection = connection
    self.options = options
    storedFirstSeenMs = firstSeenMs ?? StoredConnection.none
    watched = FlowActivity.Entry(firstSeenMs: nowMs)
    seenInMerge = merge
    wasRisky = connection.hasRisks
  }

  /// When the row appeared; nil for rows present in the first snapshot (never highlighted).
  public var firstSeenMs: UInt64? { storedFirstSeenMs == StoredConnection.none ? nil : storedFirstSeenMs }
  /// When a complete snapshot first missed the socket; nil while it is open.
  public internal(set) var closedAtMs: UInt64? {
    get { storedClosedAtMs == StoredConnection.none ? nil : storedClosedAtMs }
    set { storedClosedAtMs = newValue ?? StoredConnection.none }
  }
  /// When a snapshot last carried the socket.
  public var refreshedAtMs: UInt64 { watched.seenMs }
  /// The last refresh at which segs_in or segs_out changed (nil: not since the row appeared).
  public var lastActivityMs: UInt64? { watched.lastChangeMs }

  /// The row's identity in the store: the socket cookie (`ConnectionStore.key(of:)`).
  public var key: UInt64 { ConnectionStore.key(of: connection.record) }
  public var isClosed: Bool { storedClosedAtMs != StoredConnection.none }
}

public struct ConnectionStore: Sendable {
  /// The slots; vacant ones (rows dropped after lingering) are skipped and reused.
  public internal(set) var rows: [StoredConnection] = []
  /// How long closed rows stay before their slot is freed.
  public var lingerMs: UInt64
  public private(set) var profile: MiddleboxProfile
  /// Path budgets: every row analysed in a merge is judged against its own budget and what its
  /// row watched of the flow (FlowRisks); nil: against `profile` alone.
  public var flow: FlowContext?
  public private(set) var system = SystemInfo()
  /// How the last complete collection went (a partial one's lookups do not replace it).
  public internal(set) var status = CollectorStatus()
  /// Totals over the open rows.
  public internal(set) var counts = ConnectionCounts()
  /// When the last complete snapshot was merged (nil: none yet).
  public private(set) var completeAtMs: UInt64?
  /// When the first complete snapshot (the baseline) was merged: rows in it were open by then.
  public private(set) var baselineAtMs: UInt64?
  /// When the last snapshot of any coverage was merged.
  public private(set) var refreshedAtMs: UInt64?
  /// Rows (re)built by the last merge: new or changed ones (tests, diagnostics).
  public private(set) var lastRebuilt = 0
  /// The slots the last merge rebuilt or added, when it was partial (nil after a complete merge
  /// or when rows were dropped): the view then needs to re-place only these.
  public internal(set) var lastPartialChanges: [Int32]?
  /// Rows freed after lingering, kept a while for the join of their destroy message (a socket
  /// ended by a RST or SOCK_DESTROY leaves the dump at once but is freed when its owner closes it).
  public internal(set) var departed = DepartedRows()
  var slotOfKey: [UInt64: Int32] = [:]
  private var vacantSlots: [Int32] = []
  var merges: UInt32 = 0
  /// The walk being merged in parts (`beginWalk` ... `endWalk`), if any.
  var walk: WalkMerge?

  public init(profile: MiddleboxProfile = .aws, lingerMs: UInt64 = 3000) {
    self.profile = profile
    self.lingerMs = lingerMs
  }

  /// Forgets every row: the next merge is a new baseline (no row in it is "new").
  public mutating func reset() {
    rows = []
    walk = nil
    slotOfKey = [:]
    vacantSlots = []
    counts = ConnectionCounts()
    completeAtMs = nil
    baselineAtMs = nil
    refreshedAtMs = nil
    status = CollectorStatus()
  }

  public var isEmpty: Bool { slotOfKey.isEmpty }
  /// The slot holding the socket with this key (open or lingering), if any.
  public func slot(of key: UInt64) -> Int? { slotOfKey[key].map(Int.init) }

  /// A row's identity: the socket cookie. /proc/net/tcp has no cookies (all 0): there the
  /// family, addresses, ports and inode stand in (top bit set, so no cookie-like small value).
  public static func key(of record: SocketRecord) -> UInt64 {
    if record.cookie != 0 { return record.cookie }
    var h = Hasher()
    h.combine(record.family)
    h.combine(record.local)
    h.combine(record.remote)
    h.combine(record.inode)
    return UInt64(bitPattern: Int64(h.finalize())) | 1 << 63
  }

  /// Slots of every row, open or lingering, in slot order.
  public var occupiedSlots: [Int32] {
    var out: [Int32] = []
    out.reserveCapacity(slotOfKey.count)
    rows.withUnsafeBufferPointer { b in
      for i in b.indices where !b[i].vacant { out.append(Int32(truncatingIfNeeded: i)) }
    }
    return out
  }

  /// Merges a snapshot: known sockets are updated in their slot (rebuilt only when their record,
  /// owner or settings changed), new ones are added and stamped `nowMs`, and, for a complete
  /// snapshot, open rows it lacks are marked closed. `ownersRead` / `optionsRead`: the snapshot's
  /// owners / settings are current (else the rows keep theirs).
  public mutating func merge(
    _ snapshot: Snapshot, coverage: SnapshotCoverage, nowMs: UInt64, ownersRead: Bool = true, optionsRead: Bool = true
  ) {
    let walk = startMerge(system: snapshot.system, expectedCount: snapshot.sockets.count, ownersRead: ownersRead, optionsRead: optionsRead)
    if coverage == .complete { status = snapshot.status }
    mergeRecords(snapshot.sockets, owners: snapshot.owners, options: snapshot.options, walk, nowMs: nowMs)
    endMerge(coverage: coverage, nowMs: nowMs)
  }

  /// Merges connections analysed elsewhere (tests; `--once` builds its rows without a store).
  public mutating func merge(
    connections: [Connection], system: SystemInfo, status: CollectorStatus = CollectorStatus(), coverage: SnapshotCoverage,
    nowMs: UInt64
  ) {
    beginMerge(system: system)
    if coverage == .complete { self.status = status }
    let baseline = completeAtMs == nil && isEmpty
    for c in connections {
      if let slot = slotOfKey[ConnectionStore.key(of: c.record)] {
        rows[Int(slot)].watched.observe(from: rows[Int(slot)].connection.record, to: c.record, nowMs: nowMs)
        update(slot: Int(slot), with: c, options: rows[Int(slot)].options, nowMs: nowMs)
      } else {
        insert(c, options: nil, firstSeenMs: baseline ? nil : nowMs, nowMs: nowMs)
      }
    }
    endMerge(coverage: coverage, nowMs: nowMs)
  }

  /// Re-evaluates every row's risks for another middlebox profile (no collection needed).
  public mutating func setProfile(_ new: MiddleboxProfile) {
    profile = new
    lastPartialChanges = nil
    let index = RiskText.profileIndex(new)
    let system = self.system
    rows.withUnsafeMutableBufferPointer { b in
      for i in b.indices where !b[i].vacant {
        b[i].connection.evaluateRisks(profile: new, index: index, system: system)
      }
    }
    counts = countOpenRows()
    if var f = flow {
      flow = nil
      f.profile = new
      flow = f
      applyFlow(f)
    }
  }

  /// Judges every open row against its own flow budget (path rules, local remotes, conntrack,
  /// what was watched of it): the risks of `FlowContext`, docs/risks.md.
  public mutating func applyFlow(_ context: FlowContext) {
    let customIndex = RiskText.profileIndex(.custom(seconds: 0))
    let system = self.system
    rows.withUnsafeMutableBufferPointer { b in
      for i in b.indices where !b[i].vacant && !b[i].isClosed {
        Analyzer.reevaluate(
          &b[i].connection, context: context, system: system, customIndex: customIndex, watched: b[i].watched)
      }
    }
    counts = countOpenRows()
  }

  /// Frees the slots of rows closed at least `lingerMs` ago; true when any went.
  @discardableResult
  public mutating func expire(nowMs: UInt64) -> Bool {
    var dropped = false
    for i in rows.indices where !rows[i].vacant {
      guard let closed = rows[i].closedAtMs, nowMs &- closed >= lingerMs else { continue }
      departed.keep(rows[i])
      slotOfKey[rows[i].key] = nil
      rows[i].vacant = true
      vacantSlots.append(Int32(truncatingIfNeeded: i))
      dropped = true
    }
    return dropped
  }

  /// When the next lingering row expires (nil: none lingers).
  public func nextExpiryMs() -> UInt64? {
    var next: UInt64?
    for r in rows where !r.vacant {
      if let closed = r.closedAtMs { next = min(next ?? .max, closed &+ lingerMs) }
    }
    return next
  }

  // MARK: merging

  /// Room for the first snapshot's rows, reserved once: growing the rows array by doubling would
  /// hold the old and the new buffer (tens of MB at 100k rows) at once.
  mutating func reserve(for incoming: Int) {
    // Only into an empty store: later merges add few rows, and their records are mostly known.
    guard isEmpty, incoming > rows.capacity else { return }
    rows.reserveCapacity(incoming + incoming / 16)
    slotOfKey.reserveCapacity(incoming + incoming / 16)
  }

  mutating func beginMerge(system: SystemInfo) {
    merges &+= 1
    lastRebuilt = 0
    lastPartialChanges = []
    self.system = system
  }

  mutating func endMerge(coverage: SnapshotCoverage, nowMs: UInt64) {
    if coverage == .complete {
      let current = merges
      rows.withUnsafeMutableBufferPointer { b in
        for i in b.indices where !b[i].vacant && !b[i].isClosed && b[i].seenInMerge != current {
          b[i].closedAtMs = nowMs
        }
      }
      completeAtMs = nowMs
      if baselineAtMs == nil { baselineAtMs = nowMs }
    }
    refreshedAtMs = nowMs
    if expire(nowMs: nowMs) || coverage == .complete { lastPartialChanges = nil }
    counts = countOpenRows()
  }

  mutating func update(slot: Int, with c: Connection, options: SocketOptions?, nowMs: UInt64) {
    lastRebuilt += 1
    lastPartialChanges?.append(Int32(truncatingIfNeeded: slot))
    rows.withUnsafeMutableBufferPointer { b in
      b[slot].connection = c
      if !b[slot].wasRisky && c.hasRisks { b[slot].wasRisky = true }
      b[slot].options = options
      b[slot].closedAtMs = nil
      b[slot].seenInMerge = merges
    }
  }

  /// Returns the row's slot.
  @discardableResult
  mutating func insert(_ c: Connection, options: SocketOptions?, firstSeenMs: UInt64?, nowMs: UInt64) -> Int32 {
    lastRebuilt += 1
    let row = StoredConnection(connection: c, options: options, firstSeenMs: firstSeenMs, nowMs: nowMs, merge: merges)
    lastPartialChanges = nil  // a new row: the view is rebuilt
    let key = ConnectionStore.key(of: c.record)
    if let slot = vacantSlots.popLast() {
      rows[Int(slot)] = row
      slotOfKey[key] = slot
      return slot
    }
    let slot = Int32(truncatingIfNeeded: rows.count)
    slotOfKey[key] = slot
    rows.append(row)
    return slot
  }

  static func sameKeepaliveSysctls(_ a: SystemInfo, _ b: SystemInfo) -> Bool {
    a.keepaliveTime == b.keepaliveTime && a.keepaliveInterval == b.keepaliveInterval
      && a.keepaliveProbes == b.keepaliveProbes && a.tcpRetries2 == b.tcpRetries2
  }

  func countOpenRows() -> ConnectionCounts {
    var counts = ConnectionCounts()
    rows.withUnsafeBufferPointer { b in
      for r in b where !r.vacant && !r.isClosed { counts.add(r.connection) }
    }
    return counts
  }
}
