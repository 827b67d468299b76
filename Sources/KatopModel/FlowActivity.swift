// What katop saw of each connection across refreshes: the last time its segment counters moved.
// A peer's keepalive probes and our ACKs of them move tcpi_segs_in / segs_out without touching
// tcp_info's last_* timestamps, so only watching shows that a middlebox sees traffic.
// The TUI keeps one `Entry` in each store row (ConnectionStore), next to the row's record (the
// previous counters); `--once --observe` keeps record and entry in a `FlowActivity` table.

public struct FlowActivity: Sendable {
  /// When the counters of one watched connection last moved. The counters themselves are the
  /// record's: each sighting is compared with the previous record. Monotonic ms without
  /// Optionals (`unset`), 32 bytes a row.
  public struct Entry: Hashable, Sendable {
    static let unset = UInt64.max
    var storedLastChangeMs = Entry.unset
    var storedLastPeerOnlyMs = Entry.unset
    var storedLastDataMs = Entry.unset
    /// Monotonic ms of the last sighting.
    public private(set) var seenMs: UInt64

    /// A connection first seen at `nowMs`.
    public init(firstSeenMs nowMs: UInt64) { seenMs = nowMs }

    static func optional(_ v: UInt64) -> UInt64? { v == unset ? nil : v }
    /// The last sighting at which segs_in or segs_out moved (nil: not since the first).
    public var lastChangeMs: UInt64? { Entry.optional(storedLastChangeMs) }
    /// The last sighting at which segs_in moved while last_data_recv / last_ack_recv did not:
    /// segments from the peer that only watching shows (its keepalive probes).
    public var lastPeerOnlyMs: UInt64? { Entry.optional(storedLastPeerOnlyMs) }
    /// The last sighting at which bytes moved (application traffic).
    public var lastDataMs: UInt64? { Entry.optional(storedLastDataMs) }
    /// ms from the last change of the counters to the last sighting; nil when never seen moving.
    public var watchedIdleMs: UInt64? { lastChangeMs.map { seenMs &- $0 } }

    /// Folds in a sighting at `nowMs`: `new` is the connection's record now, `old` the one of the
    /// last sighting. Without segment counters in both only the sighting's time is kept.
    public mutating func observe(from old: SocketRecord, to new: SocketRecord, nowMs: UInt64) {
      defer { seenMs = nowMs }
      guard let was = old.info, let now = new.info, let inBefore = was.segsIn, let outBefore = was.segsOut,
        let inNow = now.segsIn, let outNow = now.segsOut
      else { return }
      if inNow != inBefore || outNow != outBefore { storedLastChangeMs = nowMs }
      // last_* restarted since the last sighting when the idle now is clearly below the idle
      // then plus the time elapsed (100 ms for the two clocks' rounding).
      let elapsed = nowMs &- seenMs
      let before = KeepaliveMath.idleMs(old)
      let receiveMoved = KeepaliveMath.idleMs(new).map { idle in before.map { idle &+ 100 < $0 &+ elapsed } ?? true } ?? true
      if inNow != inBefore && !receiveMoved { storedLastPeerOnlyMs = nowMs }
      if (now.bytesAcked ?? 0) != (was.bytesAcked ?? 0) || (now.bytesReceived ?? 0) != (was.bytesReceived ?? 0) {
        storedLastDataMs = nowMs
      }
    }
  }

  /// One watched connection: its last record and entry.
  public struct Watched: Sendable {
    public var record: SocketRecord
    public var entry: Entry
  }

  public private(set) var watched: [UInt64: Watched] = [:]

  public init() {}

  /// Feeds one refresh taken at monotonic `nowMs`; connections not in `records` are forgotten
  /// unless `partial` (a refresh of some rows only).
  public mutating func observe(_ records: [SocketRecord], nowMs: UInt64, partial: Bool = false) {
    if watched.isEmpty { watched.reserveCapacity(records.count) }
    for r in records {
      if let w = watched[r.cookie] {
        var e = w.entry
        e.observe(from: w.record, to: r, nowMs: nowMs)
        watched[r.cookie] = Watched(record: r, entry: e)
      } else {
        watched[r.cookie] = Watched(record: r, entry: Entry(firstSeenMs: nowMs))
      }
    }
    if !partial {
      let gone = watched.compactMap { $0.value.entry.seenMs == nowMs ? nil : $0.key }
      for cookie in gone { watched[cookie] = nil }
    }
  }

  /// What was watched of connection `cookie`.
  public func entry(cookie: UInt64) -> Entry? { watched[cookie]?.entry }
  /// ms since the counters of connection `cookie` last moved as watched; nil when never seen moving.
  public func watchedIdleMs(cookie: UInt64) -> UInt64? { watched[cookie]?.entry.watchedIdleMs }
}
