// Which connections `katop set-keepalive` / `katop kill` act on: the filters used everywhere
// (ConnectionFilter: ports, states, risky) plus owner, risk id, remote network and idle time.

/// An IPv4 or IPv6 network, `192.0.2.0/24`, `2001:db8::/32`, or one address (`127.0.0.1`).
public struct CIDR: Hashable, Sendable, CustomStringConvertible {
  public var address: IPAddress
  public var prefixLength: Int

  /// nil unless `text` is an address, optionally followed by /PREFIX within the family's width.
  public init?(_ text: String) {
    let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
    guard let address = CIDR.parseAddress(String(parts[0])) else { return nil }
    let width = address.isV6 ? 128 : 32
    var prefix = width
    if parts.count == 2 {
      guard let p = Int(parts[1]), (0...width).contains(p), parts[1].allSatisfy(\.isASCII) else { return nil }
      prefix = p
    }
    self.address = address
    self.prefixLength = prefix
  }

  public var description: String { "\(Format.address(address))/\(prefixLength)" }

  /// True when `a` lies in this network (an IPv4 network never holds an IPv6 address and back,
  /// except that an IPv4-mapped IPv6 address ::ffff:a.b.c.d counts as a.b.c.d).
  public func contains(_ a: IPAddress) -> Bool {
    let (net, candidate) = (CIDR.bits(address), CIDR.bits(CIDR.unmapped(a)))
    guard net.v6 == candidate.v6 else { return false }
    if prefixLength == 0 { return true }
    let (hiMask, loMask) = CIDR.mask(prefixLength + (net.v6 ? 0 : 96))
    return net.hi & hiMask == candidate.hi & hiMask && net.lo & loMask == candidate.lo & loMask
  }

  static func unmapped(_ a: IPAddress) -> IPAddress {
    if case .v6(let hi, let lo) = a, hi == 0, lo >> 32 == 0xFFFF {
      return .v4(UInt8(lo >> 24 & 0xFF), UInt8(lo >> 16 & 0xFF), UInt8(lo >> 8 & 0xFF), UInt8(lo & 0xFF))
    }
    return a
  }

  /// The address as 128 bits (IPv4 in the low 32).
  static func bits(_ a: IPAddress) -> (v6: Bool, hi: UInt64, lo: UInt64) {
    switch a {
    case .v4(let b0, let b1, let b2, let b3):
      return (false, 0, UInt64(b0) << 24 | UInt64(b1) << 16 | UInt64(b2) << 8 | UInt64(b3))
    case .v6(let hi, let lo): return (true, hi, lo)
    }
  }

  /// The top `n` of 128 bits set.
  static func mask(_ n: Int) -> (UInt64, UInt64) {
    if n >= 128 { return (~0, ~0) }
    if n >= 64 { return (~0, n == 64 ? 0 : ~0 << UInt64(128 - n)) }
    return (n == 0 ? 0 : ~0 << UInt64(64 - n), 0)
  }

  static func parseAddress(_ text: String) -> IPAddress? {
    if text.contains(":") { return parseV6(text) }
    let pieces = text.split(separator: ".", omittingEmptySubsequences: false)
    guard pieces.count == 4 else { return nil }
    var bytes: [UInt8] = []
    for p in pieces {
      guard !p.isEmpty, p.count <= 3, p.allSatisfy({ $0.isASCII && $0.isNumber }), let v = UInt8(p) else { return nil }
      bytes.append(v)
    }
    return .v4(bytes[0], bytes[1], bytes[2], bytes[3])
  }

  /// RFC 4291 text form: up to 8 hex groups, one `::`, no embedded IPv4 tail.
  static func parseV6(_ text: String) -> IPAddress? {
    let halves = text.components(separatedBy: "::")
    guard halves.count <= 2 else { return nil }
    func groups(_ s: String) -> [UInt16]? {
      if s.isEmpty { return [] }
      var out: [UInt16] = []
      for g in s.split(separator: ":", omittingEmptySubsequences: false) {
        guard !g.isEmpty, g.count <= 4, g.allSatisfy(\.isHexDigit), let v = UInt16(g, radix: 16) else { return nil }
        out.append(v)
      }
      return out
    }
    guard let head = groups(halves[0]) else { return nil }
    var all = head
    if halves.count == 2 {
      guard let tail = groups(halves[1]), head.count + tail.count <= 7 else { return nil }
      all += [UInt16](repeating: 0, count: 8 - head.count - tail.count) + tail
    }
    guard all.count == 8 else { return nil }
    let hi = all[0..<4].reduce(UInt64(0)) { $0 << 16 | UInt64($1) }
    let lo = all[4..<8].reduce(UInt64(0)) { $0 << 16 | UInt64($1) }
    return .v6(hi: hi, lo: lo)
  }
}

extension String {
  /// `a::b` split at each "::" (Foundation-free).
  fileprivate func components(separatedBy separator: String) -> [String] {
    var out: [String] = []
    var rest = Substring(self)
    while let r = rest.firstRange(of: separator) {
      out.append(String(rest[..<r.lowerBound]))
      rest = rest[r.upperBound...]
    }
    out.append(String(rest))
    return out
  }
}

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
  public var riskIDs: Set<String>
  /// Remote address in one of these networks.
  public var remotes: [CIDR]
  /// Idle (as the keepalive timer sees it) at least this long; connections whose idle time is
  /// unknown (no tcp_info) are not selected.
  public var idleOverMs: UInt64?

  public init(
    filter: ConnectionFilter = ConnectionFilter(), pids: Set<Int32> = [], commands: Set<String> = [],
    riskIDs: Set<String> = [], remotes: [CIDR] = [], idleOverMs: UInt64? = nil
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
