// What the kernel says when a TCP socket is freed (sock_diag's destroy multicast, `ss -E`): the
// socket's last inet_diag_msg and tcp_info, without inode, uid or timer (the message is zeroed
// first). katop joins it by cookie to what it knew of the socket while it lived (ClosedConnection).

/// One destroy message, parsed.
public struct SocketDeath: Sendable, Hashable {
  /// The 5-tuple, cookie and tcp_info at the free (state is CLOSE for every full socket).
  public var record: SocketRecord
  /// tcp_info bytes_sent (offset 200) and bytes_retrans (208): with bytes_acked they tell whether
  /// our FIN was acknowledged. nil on kernels whose tcp_info is shorter.
  public var bytesSent: UInt64?
  public var bytesRetrans: UInt64?
  /// Monotonic ms when katop received the message.
  public var receivedAtMs: UInt64

  public init(record: SocketRecord, bytesSent: UInt64? = nil, bytesRetrans: UInt64? = nil, receivedAtMs: UInt64) {
    self.record = record
    self.bytesSent = bytesSent
    self.bytesRetrans = bytesRetrans
    self.receivedAtMs = receivedAtMs
  }

  /// bytes_acked beyond the data sent once: the SYN (client side) and our FIN each count 1.
  public var ackedBeyondData: Int64? {
    guard let acked = record.info?.bytesAcked, let sent = bytesSent else { return nil }
    let unique = Int64(clamping: sent) - Int64(clamping: bytesRetrans ?? 0)
    return Int64(clamping: acked) - unique
  }
}

/// Host counters that back a classification where the message cannot (Tcp EstabResets from
/// /proc/net/snmp, the TcpExt abort counters from /proc/net/netstat), as deltas over the interval
/// in which the deaths arrived.
public struct AbortCounters: Sendable, Hashable {
  public var estabResets: UInt64?
  public var abortOnTimeout: UInt64?
  public var keepaliveProbes: UInt64?
  public var abortOnClose: UInt64?
  public var abortOnData: UInt64?
  public var abortOnLinger: UInt64?

  public init(
    estabResets: UInt64? = nil, abortOnTimeout: UInt64? = nil, keepaliveProbes: UInt64? = nil, abortOnClose: UInt64? = nil,
    abortOnData: UInt64? = nil, abortOnLinger: UInt64? = nil
  ) {
    self.estabResets = estabResets
    self.abortOnTimeout = abortOnTimeout
    self.keepaliveProbes = keepaliveProbes
    self.abortOnClose = abortOnClose
    self.abortOnData = abortOnData
    self.abortOnLinger = abortOnLinger
  }

  /// `later - self` per counter (nil where either is unknown or the counter went back).
  public func delta(to later: AbortCounters) -> AbortCounters {
    func d(_ a: UInt64?, _ b: UInt64?) -> UInt64? {
      guard let a, let b, b >= a else { return nil }
      return b - a
    }
    return AbortCounters(
      estabResets: d(estabResets, later.estabResets), abortOnTimeout: d(abortOnTimeout, later.abortOnTimeout),
      keepaliveProbes: d(keepaliveProbes, later.keepaliveProbes), abortOnClose: d(abortOnClose, later.abortOnClose),
      abortOnData: d(abortOnData, later.abortOnData), abortOnLinger: d(abortOnLinger, later.abortOnLinger))
  }

  /// `Tcp EstabResets +1, TcpExt TCPAbortOnTimeout +1`: the non-zero deltas (empty when none).
  public var nonZeroText: String {
    var parts: [String] = []
    if let v = estabResets, v > 0 { parts.append("Tcp EstabResets +\(v)") }
    let ext: [(String, UInt64?)] = [
      ("TCPAbortOnTimeout", abortOnTimeout), ("TCPKeepAlive", keepaliveProbes), ("TCPAbortOnClose", abortOnClose),
      ("TCPAbortOnData", abortOnData), ("TCPAbortOnLinger", abortOnLinger),
    ]
    let extParts = ext.compactMap { name, v in v.flatMap { $0 > 0 ? "\(name) +\($0)" : nil } }
    if !extParts.isEmpty { parts.append("TcpExt " + extParts.joined(separator: ", ")) }
    return parts.joined(separator: ", ")
  }
}

/// Why a connection died (JSON `cause`).
public enum DeathCause: String, Sendable, Hashable, CaseIterable, Codable {
  /// Keepalive probes ran out unanswered (probes out == keepcnt).
  case keepalive = "keepalive-gave-up"
  /// Retransmissions (or zero-window probes) ran out (tcp_retries2).
  case retransmissionTimeout = "retransmission-timeout"
  /// TCP_USER_TIMEOUT passed with data or probes unanswered.
  case userTimeout = "user-timeout"
  /// Ended without a FIN exchange: a RST received or sent (abortive close).
  case reset
  /// FIN exchanged: closed by one end, acknowledged by the other.
  case orderlyClose = "orderly-close"
  /// SOCK_DESTROY by `katop kill` or the TUI's F9.
  case killedByKatop = "killed-by-katop"

  /// Short label for the Closed view's Cause column.
  public var label: String {
    switch self {
    case .keepalive: return "keepalive"
    case .retransmissionTimeout: return "RTO"
    case .userTimeout: return "user-timeout"
    case .reset: return "reset"
    case .orderlyClose: return "closed"
    case .killedByKatop: return "killed"
    }
  }
}

/// A kill katop carried out, as its kill journal records it.
public struct KatopKill: Sendable, Hashable {
  public var cookie: UInt64
  /// Pid of the katop that sent SOCK_DESTROY.
  public var pid: Int32
  public init(cookie: UInt64, pid: Int32) {
    self.cookie = cookie
    self.pid = pid
  }
}
