// Merging records into the store, whole (`merge(_:coverage:...)`) or a walk in parts as the
// collector hands them on (`beginWalk`, `mergeWalkPart`, `endWalk`): the TUI's full-table walks
// never hold 100k records in one array next to the store's rows (docs/performance.md).

/// What a merge of records knows before it starts.
struct WalkMerge: Sendable {
  /// The first complete merge into an empty store: its rows are not "new".
  var baseline: Bool
  /// The keepalive sysctls changed: every row's assumed settings change, so every row is rebuilt.
  var sysctlsChanged: Bool
  var ownersRead: Bool
  var optionsRead: Bool
  /// `RiskText.profileIndex` of the store's profile, looked up once per merge.
  var profileIndex: UInt8?
  /// Slots merged by a part without an owner (the walk's end may bring it).
  var ownerless: [Int32] = []
}

extension ConnectionStore {
  /// Starts merging a walk in parts: `mergeWalkPart` for each, then `endWalk`. Rows no part
  /// carries are closed at the end, as for a complete snapshot.
  public mutating func beginWalk(system: SystemInfo, expectedCount: Int, ownersRead: Bool = true, optionsRead: Bool = true) {
    walk = startMerge(system: system, expectedCount: expectedCount, ownersRead: ownersRead, optionsRead: optionsRead)
  }

  /// Begins a merge of records (whole or in parts) and says what it knows before it starts.
  mutating func startMerge(system: SystemInfo, expectedCount: Int, ownersRead: Bool, optionsRead: Bool) -> WalkMerge {
    let previousSystem = self.system
    beginMerge(system: system)
    let w = WalkMerge(
      baseline: completeAtMs == nil && isEmpty,
      sysctlsChanged: !ConnectionStore.sameKeepaliveSysctls(previousSystem, system),
      ownersRead: ownersRead, optionsRead: optionsRead, profileIndex: RiskText.profileIndex(profile))
    reserve(for: expectedCount)
    return w
  }

  /// Forgets the walk being merged in parts: its rows keep what the parts brought, none is closed.
  public mutating func abandonWalk() {
    walk = nil
    lastPartialChanges = nil
    counts = countOpenRows()
  }

  /// True between `beginWalk` and `endWalk`.
  public var isMergingWalk: Bool { walk != nil }

  public mutating func mergeWalkPart(_ part: WalkPart, nowMs: UInt64) {
    guard var w = walk else { return }
    walk = nil  // not shared while the records are merged
    mergeRecords(part.records, owners: part.owners, options: part.options, w, nowMs: nowMs, ownerless: &w.ownerless)
    walk = w
  }

  /// Ends the walk with the collector's rest (`Collector.collect(_:partSize:parts:)`): its
  /// records, the owners found at the walk's end for rows merged without one (with their
  /// settings) and the walk's status; closes the rows the walk did not carry. Without a walk in
  /// progress, merges `rest` as a complete snapshot.
  public mutating func endWalk(_ rest: Snapshot, nowMs: UInt64) {
    guard let w = walk else {
      merge(rest, coverage: .complete, nowMs: nowMs)
      return
    }
    walk = nil
    status = rest.status
    mergeRecords(rest.sockets, owners: rest.owners, options: rest.options, w, nowMs: nowMs)
    if w.ownersRead {
      let current = merges
      for slot in w.ownerless {
        let row = rows[Int(slot)]
        let inode = row.connection.record.inode
        guard !row.vacant, row.seenInMerge == current, row.connection.owner == nil, let owner = rest.owners[inode]
        else { continue }
        let options = w.optionsRead ? rest.options[inode] : row.options
        update(slot: Int(slot), with: analyze(row.connection.record, owner, options, row.watched, w.profileIndex), options: options, nowMs: nowMs)
      }
    }
    endMerge(coverage: .complete, nowMs: nowMs)
  }

  /// Merges records: known sockets are updated in their slot (rebuilt only when their record,
  /// owner or settings changed), new ones are added and stamped `nowMs`.
  mutating func mergeRecords(
    _ records: [SocketRecord], owners: [UInt32: Owner], options: [UInt32: SocketOptions], _ w: WalkMerge,
    nowMs: UInt64
  ) {
    var none: [Int32] = []
    mergeRecords(records, owners: owners, options: options, w, nowMs: nowMs, ownerless: &none)
  }

  /// `ownerless`: gets the slots of rows left without an owner (when owners are read).
  mutating func mergeRecords(
    _ records: [SocketRecord], owners: [UInt32: Owner], options: [UInt32: SocketOptions], _ w: WalkMerge,
    nowMs: UInt64, ownerless: inout [Int32]
  ) {
    for record in records {
      let inode = record.inode
      if let slot = slotOfKey[ConnectionStore.key(of: record)] {
        let old = rows[Int(slot)]
        let owner = inode == 0 ? nil : (w.ownersRead ? owners[inode] : old.connection.owner)
        let options = inode == 0 ? nil : (w.optionsRead ? options[inode] : old.options)
        if owner == nil && inode != 0 && w.ownersRead { ownerless.append(slot) }
        var watched = old.watched
        watched.observe(from: old.connection.record, to: record, nowMs: nowMs)
        rows[Int(slot)].watched = watched
        if !w.sysctlsChanged && old.connection.record == record && old.connection.owner == owner && old.options == options
          && !old.isClosed
        {
          rows[Int(slot)].seenInMerge = merges
          continue
        }
        update(slot: Int(slot), with: analyze(record, owner, options, watched, w.profileIndex), options: options, nowMs: nowMs)
      } else {
        let owner = inode == 0 ? nil : owners[inode]
        let options = inode == 0 ? nil : options[inode]
        let watched = FlowActivity.Entry(firstSeenMs: nowMs)
        let slot = insert(analyze(record, owner, options, watched, w.profileIndex), options: options, firstSeenMs: w.baseline ? nil : nowMs, nowMs: nowMs)
        if owner == nil && inode != 0 && w.ownersRead { ownerless.append(slot) }
      }
    }
  }

  /// One record analysed for the store's profile and, when set, judged against its flow budget.
  func analyze(
    _ record: SocketRecord, _ owner: Owner?, _ options: SocketOptions?, _ watched: FlowActivity.Entry, _ profileIndex: UInt8?
  ) -> Connection {
    var c = Analyzer.analyze(
      record, owner: owner, options: options, system: system, profile: profile, profileIndex: profileIndex)
    if let flow {
      Analyzer.reevaluate(&c, context: flow, system: system, customIndex: ConnectionStore.customIndex, watched: watched)
    }
    return c
  }

  static let customIndex = RiskText.profileIndex(.custom(seconds: 0))
}
