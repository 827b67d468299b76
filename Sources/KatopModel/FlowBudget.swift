// Flow truth (docs/risks.md "Flow idle and the path's budget"): how long since anything crossed
// the path, which middlebox budget applies to it, and when that budget runs out.

/// Where a flow's budget came from (JSON `flow.budget`).
public enum BudgetSource: String, Sendable, Hashable {
  /// The remote address is on this host: no middlebox in between.
  case none
  case path
  case profile
  case idleTimeout = "idle-timeout"
  case conntrack
}

/// What keeps a flow from being cut (JSON `flow.keptAliveBy`).
public enum KeptAliveBy: String, Sendable, Hashable {
  case keepalive, peer, traffic
}

/// Everything the flow verdict needs besides the connection.
public struct FlowContext: Sendable {
  public var rules: PathRules
  /// The budget for every remote address no rule names, and how it was chosen.
  public var profile: MiddleboxProfile
  public var profileSource: BudgetSource
  /// Addresses of this host's interfaces (loopback is always local).
  public var localAddresses: Set<IPAddress>
  public var activity: FlowActivity?
  /// Kernel HZ when known (timer wheel margins); nil: the worst case.
  public var hz: Int?
  /// This namespace's conntrack entries by 4-tuple (nil: not read / not loaded).
  public var conntrack: [FlowKey: ConntrackEntry]?
  /// Local ports with a LISTEN socket in the collection (ConnectionSide.swift); nil: not known.
  public var listeningPorts: Set<UInt16>?

  public init(
    rules: PathRules = PathRules(), profile: MiddleboxProfile, profileSource: BudgetSource = .profile,
    localAddresses: Set<IPAddress> = [], activity: FlowActivity? = nil, hz: Int? = nil
  ) {
    self.rules = rules
    self.profile = profile
    self.profileSource = profileSource
    self.localAddresses = localAddresses
    self.activity = activity
    self.hz = hz
  }

  /// The budget for `remote`: a path rule, none for this host's own addresses, else the profile.
  public func budget(for remote: IPAddress) -> (profile: MiddleboxProfile?, source: BudgetSource) {
    if let rule = rules.match(remote) { return (rule.profile, .path) }
    let plain = IPAddressText.unmapped(remote)
    if IPAddressText.isLoopback(plain) || localAddresses.contains(plain) || localAddresses.contains(remote) {
      return (nil, .none)
    }
    return (profile, profileSource)
  }
}

/// One flow's verdict (JSON `flow`).
public struct FlowVerdict: Hashable, Sendable {
  /// ms since any segment crossed the path: min(last_data_sent, last_data_recv, last_ack_recv),
  /// and the last watched change of segs_in / segs_out.
  public var idleMs: UInt64?
  public var timeoutSeconds: Int?
  public var budget: BudgetSource
  public var profile: MiddleboxProfile?
  /// ms until the budget runs out at the current idle (0: already past); nil when kept alive or no budget.
  public var cutInMs: Int64?
  public var keptAliveBy: KeptAliveBy?
  /// keepidle + timer-wheel lateness + one RTT (ms): when our first keepalive probe arrives at worst.
  public var keepaliveArrivesMs: Int64?
  /// The flow's entry in this host's conntrack table.
  public var conntrack: ConntrackEntry?
  /// Which end this socket is (nil: not known).
  public var side: ConnectionSide?
}

public enum FlowBudget {
  /// ms since any segment crossed the path in either direction, as tcp_info shows it.
  public static func kernelFlowIdleMs(_ r: SocketRecord) -> UInt64? {
    guard let receive = KeepaliveMath.idleMs(r) else { return nil }
    guard let sent = r.info?.lastDataSentMs else { return receive }
    return min(receive, UInt64(sent))
  }

  /// Worst arrival (ms after the last segment) of the first keepalive probe: keepidle, plus the
  /// timer wheel's worst lateness for that delay, plus one RTT (the probe must cross the path and
  /// the ACK come back before the box forgets).
  public static func keepaliveArrivalMs(keepidleSeconds: Int, rttUs: UInt32?, hz: Int?) -> Int64 {
    let delay = Int64(keepidleSeconds) * 1000
    let rtt = Int64((rttUs ?? 0) + 999) / 1000
    return delay + TimerWheel.worstLatenessMs(delayMs: delay, hz: hz) + rtt
  }

  /// The conntrack entry is the budget: kept only if our next keepalive probe reaches it in time.
  static func conntrackVerdict(_ c: Connection, _ base: FlowVerdict, _ entry: ConntrackEntry, _ context: FlowContext) -> FlowVerdict {
    var v = base
    v.budget = .conntrack
    v.timeoutSeconds = entry.timeoutSeconds
    v.profile = nil
    let ctMs = Int64(entry.timeoutSeconds) * 1000
    let ka = c.keepalive
    if ka.enabled == true, ka.probesOut == 0, let next = ka.nextProbeInMs {
      let rtt = Int64((c.record.info?.rttUs ?? 0) + 999) / 1000
      let arrives = next + TimerWheel.worstLatenessMs(delayMs: next, hz: context.hz) + rtt
      v.keepaliveArrivesMs = arrives
      if arrives < ctMs {
        v.keptAliveBy = .keepalive
        return v
      }
    }
    v.cutInMs = ctMs
    return v
  }

  /// `watched`: what was watched of this connection (a store row's entry); nil: the context's
  /// activity table's entry, if any.
  public static func verdict(_ c: Connection, context: FlowContext, watched: FlowActivity.Entry? = nil) -> FlowVerdict {
    let r = c.record
    var idle = kernelFlowIdleMs(r)
    let entry = watched ?? context.activity?.entry(cookie: r.cookie)
    if let w = entry?.watchedIdleMs { idle = idle.map { min($0, w) } ?? w }
    let (profile, source) = context.budget(for: r.remote.address)
    var v = FlowVerdict(idleMs: idle, timeoutSeconds: profile?.idleTimeoutSeconds, budget: source, profile: profile)
    v.side = context.side(of: r)
    if let table = context.conntrack {
      // The key only when there is a table to look it up in (grouping judges 100k flows).
      let key = FlowKey(
        local: Endpoint(address: IPAddressText.unmapped(r.local.address), port: r.local.port),
        remote: Endpoint(address: IPAddressText.unmapped(r.remote.address), port: r.remote.port))
      v.conntrack = table[key]
    }
    if let entry = v.conntrack, r.state == .established {
      // The host's own conntrack forgets first: its seconds left against the path's.
      let ctMs = Int64(entry.timeoutSeconds) * 1000
      let pathMs = profile.map { Int64($0.idleTimeoutSeconds) * 1000 - Int64(idle ?? 0) }
      if pathMs.map({ ctMs <= $0 }) ?? true { return conntrackVerdict(c, v, entry, context) }
    }
    guard let profile, r.state == .established else { return v }
    let budgetMs = Int64(profile.idleTimeoutSeconds) * 1000
    let ka = c.keepalive
    if ka.enabled == true {
      let arrives = keepaliveArrivalMs(keepidleSeconds: ka.idleSeconds, rttUs: r.info?.rttUs, hz: context.hz)
      v.keepaliveArrivesMs = arrives
      if profile.keepaliveRefreshes, arrives < budgetMs, ka.probesOut == 0 {
        v.keptAliveBy = .keepalive
        return v
      }
    }
    if let e = entry {
      let now = e.seenMs
      if profile.keepaliveRefreshes, let peer = e.lastPeerOnlyMs, Int64(now &- peer) < budgetMs {
        v.keptAliveBy = .peer
        return v
      }
      if let data = e.lastDataMs, Int64(now &- data) < budgetMs {
        v.keptAliveBy = .traffic
        return v
      }
    }
    guard let idle else { return v }
    v.cutInMs = max(0, budgetMs - Int64(idle))
    return v
  }
}
