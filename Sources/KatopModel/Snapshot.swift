// What one collection of the host produced, before any analysis.

/// Where socket rows came from.
public enum SocketSource: String, Sendable, Codable {
  case netlink, proc
}

/// Namespace-wide settings and counters read from /proc: the host's facts. What the collector
/// could and could not see is `CollectorStatus`.
public struct SystemInfo: Hashable, Sendable {
  public var hostname: String = ""
  public var kernel: String = ""
  public var keepaliveTime: Int = 7200
  public var keepaliveInterval: Int = 75
  public var keepaliveProbes: Int = 9
  public var tcpRetries2: Int = 15
  /// TcpExt TCPKeepAlive: keepalive probes sent since boot.
  public var keepaliveProbesSent: UInt64? = nil
  /// TcpExt TCPAbortOnTimeout: connections aborted after retries / keepalive probes ran out.
  public var abortOnTimeout: UInt64? = nil
  /// True when socket settings and every owner could be inspected (root / CAP_SYS_PTRACE).
  public var privileged: Bool = false
  public init() {}
}

public struct Snapshot: Sendable {
  public var system: SystemInfo
  public var status: CollectorStatus
  public var sockets: [SocketRecord]
  /// Owner of each socket inode, where one could be found.
  public var owners: [UInt32: Owner]
  /// Settings read from the socket itself, by socket inode.
  public var options: [UInt32: SocketOptions]
  /// Monotonic milliseconds when the snapshot was taken.
  public var takenAtMs: UInt64

  public init(
    system: SystemInfo, status: CollectorStatus = CollectorStatus(), sockets: [SocketRecord],
    owners: [UInt32: Owner] = [:], options: [UInt32: SocketOptions] = [:], takenAtMs: UInt64 = 0
  ) {
    self.system = system
    self.status = status
    self.sockets = sockets
    self.owners = owners
    self.options = options
    self.takenAtMs = takenAtMs
  }
}

/// What to collect. Port filters run in the kernel.
public struct CollectRequest: Hashable, Sendable {
  /// Sockets whose local or remote port is one of these; empty = all.
  public var ports: [UInt16] = []
  /// Bitmask of `TCPState.mask`; all states by default.
  public var states: UInt32 = 0xFFFF_FFFF
  public var owners: Bool = true
  /// Read keepalive settings from the sockets themselves when permitted.
  public var socketOptions: Bool = true
  /// For a port-filtered request: refresh the sockets the last walk found by exact lookups,
  /// walking again (to find new sockets) at least this often, in ms. nil: the collector's own
  /// setting (`Collector.discoveryIntervalMs`). The TUI asks for 3x its refresh interval.
  public var discoveryIntervalMs: UInt64?
  /// Non-empty: refresh exactly these sockets by lookups (the TUI's rows on screen between walks
  /// of a big table), nothing else. The collection fails when any of them cannot be refreshed
  /// (gone, another state): the caller then walks.
  public var lookUp: [SocketRecord] = []
  public init(
    ports: [UInt16] = [], states: UInt32 = 0xFFFF_FFFF, owners: Bool = true, socketOptions: Bool = true,
    discoveryIntervalMs: UInt64? = nil
  ) {
    self.ports = ports
    self.states = states
    self.owners = owners
    self.socketOptions = socketOptions
    self.discoveryIntervalMs = discoveryIntervalMs
  }
}

/// Records of a walk handed on while the dump goes on (`Collector.collect(_:partSize:parts:)`),
/// so 100k records never sit in one array next to the TUI's store. The owners and settings are
/// those known for them when the part was made (the walk's end brings the rest).
public struct WalkPart: Sendable {
  public var records: [SocketRecord]
  /// Owners by socket inode (the collector's table, shared, not copied): may lack new sockets.
  public var owners: [UInt32: Owner]
  /// Settings read from the sockets of this part, by inode.
  public var options: [UInt32: SocketOptions]
  /// The host's facts, read when the walk began.
  public var system: SystemInfo
  /// How many sockets the whole walk is expected to have (room reserved once).
  public var expectedCount: Int

  public init(
    records: [SocketRecord], owners: [UInt32: Owner] = [:], options: [UInt32: SocketOptions] = [:],
    system: SystemInfo, expectedCount: Int = 0
  ) {
    self.records = records
    self.owners = owners
    self.options = options
    self.system = system
    self.expectedCount = expectedCount
  }
}
