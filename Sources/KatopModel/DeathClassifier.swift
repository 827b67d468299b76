// Why a socket died, from its last tcp_info (the destroy message), what katop knew of it while
// it lived (settings, last state), katop's own kill journal and the host's abort counters.
// Pure: the same inputs give the same verdict and the same evidence line.

public enum DeathClassifier {
  /// Closing states: a row last seen in one of these was on its way to an orderly close.
  static let closingStates: Set<TCPState> = [.finWait1, .finWait2, .closing, .timeWait, .closeWait, .lastAck]

  /// The cause and one line of evidence naming the numbers it rests on.
  /// - known: the connection as katop last saw it alive (nil: never seen).
  /// - kill: katop's kill journal entry for this cookie, if any.
  /// - counters: the abort counters' deltas over the interval the message arrived in.
  public static func classify(
    _ death: SocketDeath, known: Connection?, system: SystemInfo, kill: KatopKill?, counters: AbortCounters?
  ) -> (cause: DeathCause, evidence: String) {
    let info = death.record.info
    let probes = Int(info?.probes ?? 0)
    let retransmits = Int(info?.retransmits ?? 0)
    let unacked = Int(info?.unacked ?? 0)
    let idle = KeepaliveMath.idleMs(death.record)
    // Only the counters that bear on the cause named (they count the whole namespace).
    func backing(_ pick: (AbortCounters) -> AbortCounters) -> String {
      guard let counters else { return "" }
      let text = pick(counters).nonZeroText
      return text.isEmpty ? "" : " (\(text))"
    }
    let timeoutBacking = backing { AbortCounters(abortOnTimeout: $0.abortOnTimeout, keepaliveProbes: $0.keepaliveProbes) }
    let resetBacking = backing {
      AbortCounters(estabResets: $0.estabResets, abortOnClose: $0.abortOnClose, abortOnData: $0.abortOnData, abortOnLinger: $0.abortOnLinger)
    }
    if let kill {
      return (.killedByKatop, "SOCK_DESTROY sent by katop (pid \(kill.pid))")
    }
    let keepcnt = known?.keepalive.probes ?? system.keepaliveProbes
    let userTimeoutMs = known?.keepalive.userTimeoutMs ?? 0
    if userTimeoutMs > 0, probes > 0 || (retransmits > 0 && unacked > 0) {
      let unansweredMs = retransmits > 0 && unacked > 0 ? UInt64(info?.lastAckRecvMs ?? 0) : (idle ?? 0)
      if unansweredMs >= UInt64(userTimeoutMs) {
        let what = probes > 0 ? "\(probes) keepalive probe\(probes == 1 ? "" : "s")" : "\(retransmits) retransmissions"
        return (
          .userTimeout,
          "TCP_USER_TIMEOUT \(userTimeoutMs) ms passed with \(what) unanswered (\(seconds(unansweredMs)) without an ACK)\(timeoutBacking)"
        )
      }
    }
    if probes > 0, unacked == 0, probes >= keepcnt {
      return (.keepalive, "keepalive gave up: \(probes)/\(keepcnt) probes unanswered\(timeoutBacking)")
    }
    if retransmits > 0, unacked > 0 || probes > 0 {
      let what = probes > 0 && unacked == 0 ? "\(probes) zero-window probes" : "\(retransmits) retransmissions"
      return (
        .retransmissionTimeout,
        "retransmission timeout: \(what) of \(unacked) unacked segment\(unacked == 1 ? "" : "s") unanswered (tcp_retries2 \(system.tcpRetries2))\(timeoutBacking)"
      )
    }
    if let state = known?.record.state, closingStates.contains(state) {
      return (.orderlyClose, "orderly close: last seen \(state.kernelName)")
    }
    guard let extra = death.ackedBeyondData else {
      return (.orderlyClose, "no abort seen (tcp_info without bytes_sent)")
    }
    // bytes_acked counts the SYN (client side only) and our FIN beyond the data; the side is
    // known when katop saw the socket established with nothing unacked.
    if let credit = known?.record.info?.synCredit {
      if extra - Int64(credit) >= 1 {
        return (.orderlyClose, "orderly close: our FIN acknowledged (bytes_acked = data + \(credit == 1 ? "SYN + " : "")FIN)")
      }
      return (.reset, "reset: ended without our FIN acknowledged (bytes_acked = data\(credit == 1 ? " + SYN" : "") only)\(resetBacking)")
    }
    if extra >= 2 {
      return (.orderlyClose, "orderly close: our FIN acknowledged (bytes_acked = data + SYN + FIN)")
    }
    if extra <= 0 {
      return (.reset, "reset: ended without our FIN acknowledged (bytes_acked = data only)\(resetBacking)")
    }
    // 1: the client's SYN without a FIN, or the server's FIN: the host counters decide.
    if let resets = counters?.estabResets, resets > 0 {
      return (.reset, "reset: no FIN exchange shown (bytes_acked = data + 1)\(resetBacking)")
    }
    return (.orderlyClose, "orderly close: no abort counted")
  }

  static func seconds(_ ms: UInt64) -> String {
    ms % 1000 == 0 || ms >= 100_000 ? "\(ms / 1000) s" : "\(ms / 1000).\(ms % 1000 / 100) s"
  }
}
