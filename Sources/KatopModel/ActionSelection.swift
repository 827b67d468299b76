// Which connections `katop set-keepalive` / `katop kill` act on: the filters used everywhere
// (ConnectionFilter: ports, states, risky) plus owner, risk id, remote network and idle time.

/// What an action is for: decides which states it may touch when none are named.
public enum ActionKind: String, Sendable, Hashable {
  case setKeepalive = "set-keepalive"
  case kill

  /// States acted on when the selection names none: keepalive only matters on connections that
  /// can idle (not LISTEN, SYN_RECV, TIME_WAIT, CLOSE); kill ends connections, never a listener
  /// or a TIME_WAIT entry unless `--state` names it.
  public var defaultStates: Set<TCPState> {
    let connected: Set<TCPState> = [.established, .synSent, .finWait1, .finWait2, .closeWait, .lastAck, .closing]
    switch self {
    case .setKeepalive: return connected
    case .kill: return connected.union([.synRecv])
    }
  }
}

public struct ActionSelection: Hashable, Sendable {
  /// Ports, states and --risky, as for the table.
  public var filter: ConnectionFilter
  public var pids: Set<Int32>
  /// Exact process names (/proc/PID/comm).
  public var commands: Set<String>
  /// Risk ids (`no-keepalive` ...): the connection has at least one of them.
  public var riskIDs: Set<RiskRule>
  /// Remote address in one of these networks.
  public var remotes: [CIDR]
  /// Idle (as the keepalive timer sees it) at least this long; connections whose idle time is
  /// unknown (no tcp_info) are not selected.
  public var idleOverMs: UInt64?

  public init(
    filter: ConnectionFilter = ConnectionFilter(), pids: Set<Int32> = [], commands: Set<String> = [],
    riskIDs: Set<RiskRule> = [], remotes: [CIDR] = [], idleOverMs: UInt64? = nil
  ) {
    self.filter = filter
    self.pids = pids
    self.commands = commands
    self.riskIDs = riskIDs
    self.remotes = remotes
    self.idleOverMs = idleOverMs
  }

  /// True when nothing narrows the selection: an action on "everything" is refused.
  public var selectsEverything: Bool {
    filter.isEmpty && pids.isEmpty && commands.isEmpty && riskIDs.isEmpty && remotes.isEmpty && idleOverMs == nil
  }

  public func matches(_ c: Connection, for kind: ActionKind) -> Bool {
    let states = filter.states.isEmpty ? kind.defaultStates : filter.states
    guard states.contains(c.record.state) else { return false }
    // set-keepalive reaches the socket through its owner's fd: no owner, nothing to act on.
    if kind == .setKeepalive && c.owner == nil { return false }
    if !filter.matches(c) { return false }
    if !pids.isEmpty && !(c.owner.map { pids.contains($0.pid) } ?? false) { return false }
    if !commands.isEmpty && !(c.owner.map { commands.contains($0.command) } ?? false) { return false }
    if let idle = idleOverMs, (c.idleMs ?? 0) < idle || c.idleMs == nil { return false }
    if !remotes.isEmpty && !remotes.contains(where: { $0.contains(c.record.remote.address) }) { return false }
    if !riskIDs.isEmpty && !c.risks.contains(where: { riskIDs.contains($0.id) }) { return false }
    return true
  }
}
