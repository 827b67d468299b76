// Keepalive and dead-peer timing, following the kernel's timers (net/ipv4/tcp_timer.c):
// tcp_keepalive_timer, tcp_retransmit_timer / retransmits_timed_out, tcp_probe_timer.
// Every figure assumes the peer stays silent from now on (that is the question "how long until a
// dead peer is noticed"); any segment from the peer resets idle time and probe counts.

public enum KeepaliveMath {
  /// TCP_RTO_MIN and TCP_RTO_MAX (include/net/tcp.h), in ms.
  public static let rtoMinMs: Int64 = 200
  public static let rtoMaxMs: Int64 = 120_000
  /// Kernels before 5.5 report an overdue timer as a huge unsigned value; anything above this is 0.
  static let overdueTimerLimitMs: UInt32 = 0x7FFF_FFFF

  /// States in which the keepalive timer runs for a full socket (not CLOSE, SYN_SENT, LISTEN or
  /// the TIME_WAIT / NEW_SYN_RECV mini-sockets).
  public static func keepaliveApplies(_ state: TCPState) -> Bool {
    switch state {
    case .established, .closeWait, .finWait1, .finWait2, .closing, .lastAck: return true
    case .synSent, .synRecv, .timeWait, .close, .listen, .newSynRecv: return false
    }
  }

  /// Idle time as the keepalive timer measures it (keepalive_time_elapsed):
  /// min(last_data_recv, last_ack_recv). nil without tcp_info, and for LISTEN / SYN_SENT whose
  /// tcp_info carries no receive timestamps.
  public static func idleMs(_ record: SocketRecord) -> UInt64? {
    if record.state == .listen || record.state == .synSent { return nil }
    guard let info = record.info else { return nil }
    switch (info.lastDataRecvMs, info.lastAckRecvMs) {
    case let (data?, ack?): return UInt64(min(data, ack))
    case let (data?, nil): return UInt64(data)
    case let (nil, ack?): return UInt64(ack)
    case (nil, nil): return nil
    }
  }

  /// An orphaned FIN_WAIT2 socket (closed by its process, inode 0) uses the keepalive timer as its
  /// FIN_WAIT2 timer, so the timer says nothing about SO_KEEPALIVE.
  static func isOrphanedFinWait2(_ r: SocketRecord) -> Bool { r.state == .finWait2 && r.inode == 0 }

  /// SO_KEEPALIVE inferred from the one timer sock_diag reports (no socket options read).
  public static func inferredEnabled(_ r: SocketRecord) -> Bool? {
    guard keepaliveApplies(r.state) else { return false }
    switch r.timer {
    case .keepalive: return isOrphanedFinWait2(r) ? nil : true
    // A pending retransmit / zero-window / delayed-ACK timer hides the keepalive timer.
    case .retransmit, .persist, .delack: return nil
    case .off, .timewait: return false
    }
  }

  /// Milliseconds until the socket's kernel timer fires, with an overdue timer (reported by old
  /// kernels as a huge unsigned value) shown as 0: what every timer text shows.
  public static func expiresMs(_ r: SocketRecord) -> Int64 {
    r.timerExpiresMs > overdueTimerLimitMs ? 0 : Int64(r.timerExpiresMs)
  }

  public static func state(for record: SocketRecord, options: SocketOptions?, system: SystemInfo) -> KeepaliveState {
    state(for: record, options: options, system: system, idleMs: idleMs(record))
  }

  /// `idleMs`: `idleMs(record)`, computed once by the caller (`Analyzer` stores it in the row too).
  static func state(for record: SocketRecord, options: SocketOptions?, system: SystemInfo, idleMs: UInt64?) -> KeepaliveState {
    var ka: KeepaliveState
    if let o = options {
      ka = KeepaliveState(
        enabled: o.keepalive, idleSeconds: o.idleSeconds, intervalSeconds: o.intervalSeconds,
        probes: o.probes, userTimeoutMs: o.userTimeoutMs, source: .socket)
    } else {
      let enabled = inferredEnabled(record)
      ka = KeepaliveState(
        enabled: enabled, idleSeconds: system.keepaliveTime,
        intervalSeconds: system.keepaliveInterval, probes: system.keepaliveProbes, userTimeoutMs: nil,
        source: enabled == false && keepaliveApplies(record.state) ? .timer : .system)
    }
    // idiag_retrans is icsk_probes_out while the keepalive timer is the one reported.
    ka.probesOut = record.timer == .keepalive && !isOrphanedFinWait2(record) ? Int(record.timerCount) : 0
    if options == nil, let keepidle = inferredKeepidleSeconds(record, probesOut: ka.probesOut, idleMs: idleMs) {
      ka.idleSeconds = keepidle
      ka.source = .inferred
    }
    let idle = idleMs.map { Int64($0) }
    ka.nextProbeInMs = nextProbeInMs(record, ka, idle: idle)
    ka.detectInMs = detectInMs(record, ka, idle: idle, retries2: system.tcpRetries2)
    return ka
  }

  /// Without the socket's options: while the keepalive timer is pending and no probe is out, it
  /// was armed for keepidle after the last segment received, so keepidle = keepalive idle + time
  /// to expiry (to a second). Data received after arming makes this a lower bound.
  static func inferredKeepidleSeconds(_ r: SocketRecord, probesOut: Int, idleMs: UInt64?) -> Int? {
    guard r.timer == .keepalive, probesOut == 0, !isOrphanedFinWait2(r), keepaliveApplies(r.state), let idle = idleMs else {
      return nil
    }
    let total = Int64(clamping: idle) + expiresMs(r)
    guard total >= 1000 else { return nil }  // TCP_KEEPIDLE is at least 1 s
    return Int((Double(total) / 1000).rounded())
  }

  // MARK: keepalive timer

  /// When the next keepalive probe leaves, simulating tcp_keepalive_timer; nil when keepalive is
  /// off / unknown, suspended (data in flight), or the next run aborts instead of probing.
  static func nextProbeInMs(_ r: SocketRecord, _ ka: KeepaliveState, idle: Int64?) -> Int64? {
    guard ka.enabled == true, keepaliveApplies(r.state), !isOrphanedFinWait2(r) else { return nil }
    guard let first = firstProbeFiring(r, ka, idle: idle) else { return nil }
    if abortsAt(elapsed: first.elapsed, probesOut: ka.probesOut, ka) { return nil }
    return first.at
  }

  /// The first run of the keepalive timer at which elapsed >= keepidle (a probe or an abort):
  /// `at` ms from now, with `elapsed` ms of idle time at that moment.
  static func firstProbeFiring(_ r: SocketRecord, _ ka: KeepaliveState, idle: Int64?) -> (at: Int64, elapsed: Int64)? {
    let keepidle = Int64(max(ka.idleSeconds, 1)) * 1000
    let intvl = Int64(max(ka.intervalSeconds, 1)) * 1000
    switch r.timer {
    case .keepalive:
      let expires = expiresMs(r)
      // Without tcp_info, assume the timer was armed exactly for the next probe.
      let elapsed =
        idle.map { $0 + expires } ?? (ka.probesOut > 0 ? keepidle + Int64(ka.probesOut) * intvl : keepidle)
      if elapsed >= keepidle { return (expires, elapsed) }
      // Timer re-arms for keepidle - elapsed: the probe goes out once idle reaches keepidle.
      return (expires + keepidle - elapsed, keepidle)
    case .off, .delack, .timewait:
      // Keepalive known on (socket options) while its timer is not the one reported.
      guard let idle = idle else { return nil }
      return (max(0, keepidle - idle), max(idle, keepidle))
    case .retransmit, .persist:
      return nil  // keepalive only re-arms for keepidle while data is in flight
    }
  }

  /// The abort test of tcp_keepalive_timer at a run with `elapsed` idle ms.
  static func abortsAt(elapsed: Int64, probesOut: Int, _ ka: KeepaliveState) -> Bool {
    let userTimeout = Int64(ka.userTimeoutMs ?? 0)
    if userTimeout > 0 { return elapsed >= userTimeout && probesOut > 0 }
    return probesOut >= ka.probes
  }

  /// Milliseconds until a silent peer is declared dead by keepalive: from the first probing run,
  /// one run every keepintvl until probes_out reaches keepcnt, or (TCP_USER_TIMEOUT set) until
  /// elapsed >= user timeout with a probe out.
  static func keepaliveDetectInMs(_ r: SocketRecord, _ ka: KeepaliveState, idle: Int64?) -> Int64? {
    guard let first = firstProbeFiring(r, ka, idle: idle) else { return nil }
    let intvl = Int64(max(ka.intervalSeconds, 1)) * 1000
    let probesOut = Int64(ka.probesOut)
    let userTimeout = Int64(ka.userTimeoutMs ?? 0)
    var runs: Int64
    if userTimeout > 0 {
      runs = first.elapsed >= userTimeout ? 0 : (userTimeout - first.elapsed + intvl - 1) / intvl
      if probesOut == 0 && runs == 0 { runs = 1 }
    } else {
      runs = max(0, Int64(ka.probes) - probesOut)
    }
    return first.at + runs * intvl
  }

  // MARK: retransmission and zero-window probing

  /// tcp_model_timeout: the retransmission time budget for `boundary` retries with doubling RTO
  /// from `rtoBase`, capped at TCP_RTO_MAX. 924600 ms for tcp_retries2 = 15.
  public static func modelTimeoutMs(retries: Int, rtoBaseMs: Int64 = rtoMinMs) -> Int64 {
    let boundary = Int64(max(retries, 0))
    var thresh: Int64 = 0  // ilog2(TCP_RTO_MAX / rto_base)
    var ratio = rtoMaxMs / max(rtoBaseMs, 1)
    while ratio > 1 { ratio >>= 1; thresh += 1 }
    if boundary <= thresh { return ((2 << boundary) - 1) * rtoBaseMs }
    return ((2 << thresh) - 1) * rtoBaseMs + (boundary - thresh) * rtoMaxMs
  }

  /// The current RTO (backed off) and the number of backoffs, from tcp_info or the timer count.
  static func currentRto(_ r: SocketRecord) -> (rtoMs: Int64, backoff: Int) {
    let count = Int(r.timerCount)
    let backoff = r.info?.backoff.map { Int($0) } ?? count
    if let us = r.info?.rtoUs, us > 0 { return (min(max(Int64(us) / 1000, 1), rtoMaxMs), backoff) }
    return (min(rtoMinMs << Int64(min(backoff, 20)), rtoMaxMs), backoff)
  }

  /// Data in flight: the retransmit timer aborts at the first run after `timeout` ms since the
  /// head segment was first sent (retransmits_timed_out), timeout = tcp_model_timeout(retries2)
  /// or TCP_USER_TIMEOUT. Time already spent is estimated from the RTO and backoff count,
  /// assuming every backoff doubled the RTO from rto >> backoff (floored at TCP_RTO_MIN).
  static func retransmitDetectInMs(_ r: SocketRecord, userTimeoutMs: Int?, retries2: Int) -> Int64 {
    let expires = expiresMs(r)
    var (rto, backoff) = currentRto(r)
    let base = max(rtoMinMs, rto >> Int64(min(backoff, 62)))
    var spent: Int64 = max(0, rto - expires)
    var step = base
    for _ in 0..<min(backoff, 64) {
      spent += step
      step = min(step * 2, rtoMaxMs)
    }
    var retransmits = Int(r.timerCount)
    let userTimeout = Int64(userTimeoutMs ?? 0)
    if userTimeout > 0 {
      // tcp_clamp_rto_to_user_timeout makes the last run land on the user timeout itself.
      return retransmits == 0 ? max(userTimeout - spent, expires) : max(0, userTimeout - spent)
    }
    let timeout = modelTimeoutMs(retries: retries2)
    var at = expires
    var spentAt = spent + expires
    while !(retransmits > 0 && spentAt >= timeout) {
      rto = min(rto * 2, rtoMaxMs)
      if rto == rtoMaxMs && retransmits > 0 {
        let runs = (timeout - spentAt + rtoMaxMs - 1) / rtoMaxMs
        return at + max(runs, 0) * rtoMaxMs
      }
      retransmits += 1
      at += rto
      spentAt += rto
    }
    return at
  }

  /// Zero-window probing (tcp_probe_timer): aborts when probes_out reaches tcp_retries2, the
  /// probe interval doubling up to TCP_RTO_MAX. A live peer answers every probe, so this is only
  /// the dead-peer bound; TCP_USER_TIMEOUT caps it.
  static func persistDetectInMs(_ r: SocketRecord, userTimeoutMs: Int?, retries2: Int) -> Int64 {
    let probesOut = Int(r.timerCount)
    var (interval, _) = currentRto(r)
    var at = expiresMs(r)
    var remaining = max(0, retries2 - probesOut)
    while remaining > 0 {
      interval = min(interval * 2, rtoMaxMs)
      at += interval
      remaining -= 1
    }
    if let ut = userTimeoutMs, ut > 0 { return min(at, Int64(ut)) }
    return at
  }

  /// Milliseconds until a dead, silent peer is noticed; nil when it never would be.
  static func detectInMs(_ r: SocketRecord, _ ka: KeepaliveState, idle: Int64?, retries2: Int) -> Int64? {
    guard keepaliveApplies(r.state), !isOrphanedFinWait2(r) else { return nil }
    switch r.timer {
    case .retransmit: return retransmitDetectInMs(r, userTimeoutMs: ka.userTimeoutMs, retries2: retries2)
    case .persist: return persistDetectInMs(r, userTimeoutMs: ka.userTimeoutMs, retries2: retries2)
    case .keepalive, .off, .delack, .timewait:
      guard ka.enabled == true else { return nil }
      return keepaliveDetectInMs(r, ka, idle: idle)
    }
  }
}
