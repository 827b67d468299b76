// What katop saw of each connection across refreshes: the last time its segment counters moved.
// A peer's keepalive probes and our ACKs of them move tcpi_segs_in / segs_out without touching
// tcp_info's last_* timestamps, so only watching shows that a middlebox sees traffic.

public struct FlowActivity: Sendable {
  public struct Entry: Hashable, Sendable {
    public var segsIn: UInt32
    public var segsOut: UInt32
    public var bytesAcked: UInt64
    public var bytesReceived: UInt64
    /// Monotonic ms of the first refresh, and of the last refresh at which segs_in or segs_out moved.
    public var firstSeenMs: UInt64
    public var lastChangeMs: UInt64?
    /// Monotonic ms of the last refresh at which segs_in moved while last_data_recv / last_ack_recv
    /// did not: segments from the peer that only watching shows (its keepalive probes).
    public var lastPeerOnlyMs: UInt64?
    /// Monotonic ms of the last refresh at which bytes moved (application traffic).
    public var lastDataMs: UInt64?
    var lastReceiveIdleMs: UInt64?
    /// Monotonic ms of the last refresh that saw this connection.
    var seenMs: UInt64 = 0
  }

  public private(set) var entries: [UInt64: Entry] = [:]
  public private(set) var lastRefreshMs: UInt64 = 0

  public init() {}

  /// Feeds one refresh taken at monotonic `nowMs`; connections not in `records` are forgotten
  /// unless `partial` (a refresh of some rows only, by lookups). Updates the table in place: on a
  /// 100k-socket host it is not built again every refresh.
  public mutating func observe(_ records: [SocketRecord], nowMs: UInt64, partial: Bool = false) {
    if entries.isEmpty { entries.reserveCapacity(records.count) }
    for r in records {
      guard let info = r.info, let segsIn = info.segsIn, let segsOut = info.segsOut else { continue }
      let acked = info.bytesAcked ?? 0, received = info.bytesReceived ?? 0
      let receiveIdle = KeepaliveMath.idleMs(r)
      guard var e = entries[r.cookie] else {
        entries[r.cookie] = Entry(
          segsIn: segsIn, segsOut: segsOut, bytesAcked: acked, bytesReceived: received, firstSeenMs: nowMs,
          lastChangeMs: nil, lastPeerOnlyMs: nil, lastDataMs: nil, lastReceiveIdleMs: receiveIdle, seenMs: nowMs)
        continue
      }
      if segsIn != e.segsIn || segsOut != e.segsOut { e.lastChangeMs = nowMs }
      // last_* restarted since this connection was last seen when the idle now is clearly below
      // the idle then plus the time elapsed (100 ms for the two clocks' rounding).
      let elapsed = nowMs &- e.seenMs
      let receiveMoved = receiveIdle.map { idle in e.lastReceiveIdleMs.map { idle &+ 100 < $0 &+ elapsed } ?? true } ?? true
      if segsIn != e.segsIn && !receiveMoved { e.lastPeerOnlyMs = nowMs }
      if acked != e.bytesAcked || received != e.bytesReceived { e.lastDataMs = nowMs }
      e.segsIn = segsIn
      e.segsOut = segsOut
      e.bytesAcked = acked
      e.bytesReceived = received
      e.lastReceiveIdleMs = receiveIdle
      e.seenMs = nowMs
      entries[r.cookie] = e
    }
    if !partial {
      // Gone from a complete refresh: usually a handful, removed in place.
      let gone = entries.compactMap { $0.value.seenMs == nowMs ? nil : $0.key }
      for cookie in gone { entries[cookie] = nil }
    }
    lastRefreshMs = nowMs
  }

  /// ms since the counters of connection `cookie` last moved as watched; nil when never seen moving.
  public func watchedIdleMs(cookie: UInt64) -> UInt64? {
    entries[cookie]?.lastChangeMs.map { lastRefreshMs &- $0 }
  }
}
