// Between kernel walks, a port-filtered collection refreshes the sockets the last walk found by
// exact lookups (SocketLookup.swift): a hash lookup each instead of a filtered walk of the whole
// TCP hash (~10 ms of kernel time at 100k sockets, docs/performance.md). Any miss (gone,
// another socket on the same 4-tuple, a changed state, any error) means "walk instead", so closed
// sockets and state transitions are never guessed; new sockets appear at the next walk. A walk
// is due every discovery interval, unless the namespace's TCP open counters (/proc/net/snmp
// ActiveOpens + PassiveOpens) have not moved since the last walk: then no connection can have
// been made, and lookups go on up to `quietFactor` intervals (new listeners, which no counter
// shows, wait at most that long).

import Glibc
import KatopModel

/// How a collection got its sockets.
public enum CollectionKind: String, Sendable {
  /// A dump (kernel walk of the TCP hash) or /proc read.
  case walk
  /// Exact lookups of the sockets the last walk found.
  case lookups
}

final class LookupRefresher {
  /// At most this many sockets are refreshed by lookups; a bigger walk result walks every time.
  static let maxSockets = 1024
  /// Requests per send(): the replies of one batch (~1-2 KiB of receive buffer each) must fit the
  /// socket's receive buffer even when SO_RCVBUFFORCE was refused (rmem_max, ~208 KiB).
  static let batchSize = 128

  /// The last walk of a kernel-filtered request that lookups may repeat.
  struct Memory {
    var ports: [UInt16]
    var states: UInt32
    var walkedAtMs: UInt64
    var sockets: [SocketRecord]
    /// ActiveOpens + PassiveOpens read just before the walk (nil: unreadable).
    var opens: UInt64? = nil
  }

  /// Without a new open since the last walk, lookups stand in for up to this many discovery
  /// intervals.
  static let quietFactor: UInt64 = 4

  var memory: Memory?
  var discoveryMs: UInt64 = 0
  var lastKind = CollectionKind.walk
  /// Lookup rounds that missed in a row. Some sets always miss: the kernel's lookup of a
  /// listener in an SO_REUSEPORT group picks one member by a hash of the 4-tuple, so the others
  /// answer ESTALE. After `missesBeforePause` such rounds lookups pause for `pauseMs` and every
  /// collection walks, as without lookups (a missed round costs a batch *and* a walk).
  var misses = 0
  var pausedUntilMs: UInt64 = 0
  static let missesBeforePause = 2
  static let pauseMs: UInt64 = 30_000
  /// Lookup rounds sent (tests).
  private(set) var rounds = 0
  /// A sock_diag socket of the lookups' own: after a failed batch it is dropped, unread replies
  /// and all, without disturbing the dump socket.
  var netlink: SockDiagSocket?

  /// Early by this much, a collection walks anyway: a refresh due exactly at the discovery
  /// interval must not slip to the next one because it ran a few ms early.
  static func slack(discoveryMs: UInt64) -> UInt64 { min(100, discoveryMs / 10) }

  /// The remembered walk's sockets when `request` may be answered by lookups at `nowMs`;
  /// `opens`: the namespace's open counters now (nil: unknown, the discovery interval rules).
  func candidates(for request: CollectRequest, nowMs: UInt64, opens: UInt64? = nil) -> [SocketRecord]? {
    guard discoveryMs > 0, nowMs >= pausedUntilMs, let memory, memory.ports == request.ports,
      memory.states == request.states, nowMs >= memory.walkedAtMs
    else { return nil }
    let age = nowMs - memory.walkedAtMs + LookupRefresher.slack(discoveryMs: discoveryMs)
    let quiet = opens != nil && opens == memory.opens
    guard age < discoveryMs * (quiet ? LookupRefresher.quietFactor : 1) else { return nil }
    return memory.sockets
  }

  /// Looks every socket in `known` up on `socket`, in batches. Returns the fresh records in the
  /// same order, or throws LookupMiss / NetlinkParseError / CollectorError (the caller then
  /// walks). After a failure the socket may hold unread replies: the caller must not reuse it.
  func lookUp(_ known: [SocketRecord], states: UInt32, socket: SockDiagSocket) throws -> [SocketRecord] {
    rounds += 1
    var fresh: [SocketRecord] = []
    fresh.reserveCapacity(known.count)
    var start = 0
    while start < known.count {
      let batch = known[start..<min(start + LookupRefresher.batchSize, known.count)]
      let parser = try socket.lookUp(batch)
      for (i, old) in batch.enumerated() {
        guard let new = parser.records[i] else { throw LookupMiss.unexpected("no reply to lookup \(i)") }
        if let why = LookupRefresher.mismatch(old: old, new: new, states: states) {
          throw LookupMiss.changed(index: start + i, why: why)
        }
        fresh.append(new)
      }
      start += batch.count
    }
    return fresh
  }

  /// Why `new` cannot stand for `old` in a walk's result, or nil when it can. The kernel already
  /// checked the cookie (ESTALE); this also catches a changed state (a walk reports transitions,
  /// e.g. to TIME_WAIT, together with whatever else changed on the port).
  static func mismatch(old: SocketRecord, new: SocketRecord, states: UInt32) -> String? {
    if new.cookie != old.cookie { return "cookie \(new.cookie) instead of \(old.cookie)" }
    if new.family != old.family || new.local != old.local || new.remote != old.remote {
      return "another socket id"
    }
    if new.state != old.state { return "state \(old.state) -> \(new.state)" }
    if states & new.state.mask == 0 { return "state \(new.state) not requested" }
    return nil
  }
}

extension Collector {
  /// When > 0, a port-filtered (kernel-filtered) collection whose previous collection of the same
  /// ports and states walked less than this many ms ago, and found at most 1024 sockets, refreshes
  /// those sockets by exact lookups instead of walking; any miss walks. New sockets therefore
  /// appear only at the next walk, at least every `discoveryIntervalMs`. 0 (default): always walk.
  public var discoveryIntervalMs: UInt64 {
    get { lookupRefresher.discoveryMs }
    set { lookupRefresher.discoveryMs = newValue }
  }

  /// How the last collection got its sockets (tests, diagnostics).
  public var lastCollectionKind: CollectionKind { lookupRefresher.lastKind }

  /// Lookup rounds sent so far (tests, diagnostics).
  public var lookupRounds: Int { lookupRefresher.rounds }

  /// Exactly `request.lookUp`, freshly looked up (no owners or settings read: the caller keeps
  /// the ones it has). Throws when any of them cannot be refreshed (gone, another socket on the
  /// 4-tuple, another state) or the source is not netlink: the caller then walks.
  func lookUpRequested(_ request: CollectRequest) throws -> Snapshot {
    guard activeSource == .netlink else { throw LookupMiss.unexpected("lookups need netlink") }
    let takenAt = SystemCalls.monotonicMs()
    var system = baseSystem
    var status = CollectorStatus()
    SystemInfoReader.readSettings(into: &system, notes: &status.notes)
    let refresher = lookupRefresher
    do {
      let socket = try refresher.netlink ?? openNetlink()
      refresher.netlink = socket
      let fresh = try refresher.lookUp(request.lookUp, states: request.states, socket: socket)
      refresher.lastKind = .lookups
      return Snapshot(system: system, status: status, sockets: fresh, takenAtMs: takenAt)
    } catch {
      refresher.netlink = nil  // may hold unread replies
      throw error
    }
  }

  /// The known sockets of `request`, freshly looked up, or nil: walk.
  func lookUpKnownSockets(_ request: CollectRequest, nowMs: UInt64, opens: UInt64?) -> [SocketRecord]? {
    let refresher = lookupRefresher
    guard let known = refresher.candidates(for: request, nowMs: nowMs, opens: opens) else {
      return nil
    }
    do {
      let socket = try refresher.netlink ?? openNetlink()
      refresher.netlink = socket
      let fresh = try refresher.lookUp(known, states: request.states, socket: socket)
      refresher.misses = 0
      return fresh
    } catch {
      refresher.netlink = nil  // may hold unread replies
      refresher.misses += 1
      if refresher.misses >= LookupRefresher.missesBeforePause {
        refresher.misses = 0
        refresher.pausedUntilMs = nowMs &+ LookupRefresher.pauseMs
      }
      return nil
    }
  }

  /// Records what this collection was and whether the next one may use lookups; tells the UI how
  /// often new sockets are found (`CollectorStatus.discoveryIntervalMs`).
  func noteCollection(
    _ request: CollectRequest, sockets: [SocketRecord], lookedUp: Bool, takenAtMs: UInt64, opens: UInt64?,
    status: inout CollectorStatus
  ) {
    let refresher = lookupRefresher
    refresher.lastKind = lookedUp ? .lookups : .walk
    if lookedUp {
      refresher.memory?.sockets = sockets
    } else {
      let eligible =
        refresher.discoveryMs > 0 && status.source == .netlink && !status.dumpInterrupted
        && !request.ports.isEmpty && request.ports.count <= InetDiagRequest.maxKernelFilterPorts
        && sockets.count <= LookupRefresher.maxSockets
      refresher.memory =
        eligible
        ? LookupRefresher.Memory(
          ports: request.ports, states: request.states, walkedAtMs: takenAtMs, sockets: sockets, opens: opens)
        : nil
    }
    // While lookups pause every collection walks: nothing to say in the header.
    if refresher.memory != nil && takenAtMs >= refresher.pausedUntilMs {
      status.discoveryIntervalMs = Int(refresher.discoveryMs)
    }
  }
}
