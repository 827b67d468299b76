// One row per process, remote host or service: the shape of a busy host's connections
// ("php-fpm -> 10.0.3.7:3306: 850 connections, all without keepalive") without scrolling 100k
// rows. Shared by the TUI (`g`), `katop --once --group` and `--json` (docs/json.md).

public enum GroupBy: String, CaseIterable, Sendable {
  case none, process
  case remoteHost = "remote-host"
  case remotePort = "remote-port"

  /// The next grouping of the cycle none -> process -> remote host -> remote port -> none.
  public var next: GroupBy {
    let all = GroupBy.allCases
    return all[((all.firstIndex(of: self) ?? 0) + 1) % all.count]
  }

  /// The group column's title.
  public var title: String {
    switch self {
    case .none: return ""
    case .process: return "Process"
    case .remoteHost: return "Remote host"
    case .remotePort: return "Service"
    }
  }
}

/// What a connection is grouped by: cheap to hash (no strings), so 100k connections group in one
/// pass.
public enum GroupKey: Hashable, Sendable {
  /// The process, or for a forked worker (its parent runs the same command) the parent: a
  /// php-fpm pool is one group. -1: no owner known.
  case process(Int32)
  case host(IPAddress)
  /// The service port: the local port of a connection accepted here, else the remote one.
  case port(UInt16)
}

/// One group's totals.
public struct ConnectionGroup: Sendable {
  public var key: GroupKey
  /// `811/php-fpm`, `10.0.3.7`, `3306 mysql`.
  public var label: String
  /// Connections by state, keepalive on / off / unknown, at risk by severity (the header's
  /// counts, for this group).
  public var counts = ConnectionCounts()
  /// Processes in a process group (the parent and its forked workers).
  public var processes = 0
  /// The soonest a middlebox cuts one of the group's flows (ms; 0: already past), nil: none will.
  public var soonestCutMs: Int64?
  /// The longest idle time among the group's connections.
  public var largestIdleMs: UInt64?
  /// Where the group's connections are in the grouped sequence (store slots in the TUI), in
  /// that sequence's order.
  public var members: [Int32] = []

  public init(key: GroupKey, label: String) {
    self.key = key
    self.label = label
  }
}

public enum Grouping {
  /// Ports that say what a connection is for.
  static let services: [UInt16: String] = [
    22: "ssh", 25: "smtp", 53: "dns", 80: "http", 389: "ldap", 443: "https", 636: "ldaps", 1433: "mssql",
    1521: "oracle", 2049: "nfs", 2181: "zookeeper", 2379: "etcd", 3306: "mysql", 5432: "postgresql",
    5672: "amqp", 6379: "redis", 6443: "kube-api", 8080: "http-alt", 8443: "https-alt", 9042: "cassandra",
    9092: "kafka", 9200: "elasticsearch", 11211: "memcached", 27017: "mongodb",
  ]

  /// Below this a port is taken for a service's rather than an ephemeral one
  /// (net.ipv4.ip_local_port_range starts at 32768).
  static let ephemeralStart: UInt16 = 32768

  /// The key of `c` for `by`; `listening`: local ports with a LISTEN socket (a connection on one
  /// was accepted here: its service is the local port). nil for `.none`.
  public static func key(_ c: Connection, by: GroupBy, listening: Set<UInt16>) -> GroupKey? {
    let r = c.record
    switch by {
    case .none: return nil
    case .process:
      guard let o = c.owner else { return .process(-1) }
      if let d = o.details, d.isForkedWorker(of: o.command) { return .process(d.parentPid) }
      return .process(o.pid)
    case .remoteHost: return .host(r.remote.address)
    case .remotePort:
      if r.state == .listen || listening.contains(r.local.port) { return .port(r.local.port) }
      if r.local.port < ephemeralStart && r.remote.port >= ephemeralStart { return .port(r.local.port) }
      return .port(r.remote.port)
    }
  }

  /// The local ports of the LISTEN sockets among the store's open rows.
  public static func listeningPorts(_ rows: UnsafeBufferPointer<StoredConnection>) -> Set<UInt16> {
    var out = Set<UInt16>()
    for i in rows.indices where !rows[i].vacant && rows[i].connection.record.state == .listen {
      out.insert(rows[i].connection.record.local.port)
    }
    return out
  }

  /// The local ports of the LISTEN sockets among `rows`.
  public static func listeningPorts(_ rows: [Connection]) -> Set<UInt16> {
    Set(rows.lazy.filter { $0.record.state == .listen }.map { $0.record.local.port })
  }

  /// Groups the store rows at `slots` (the filtered view, in order); members are the slots, in
  /// view order. The soonest cut reads each row's watched flow entry, as the Cut in column does.
  ///
  /// The rows are read in slot order, not view order: a sorted view visits 100k rows of ~400
  /// bytes at random, a cache miss each, and costs 5x more (docs/performance.md).
  public static func groups(
    by: GroupBy, slots: [Int32], of rows: UnsafeBufferPointer<StoredConnection>, flow: FlowContext?,
    listening: Set<UInt16>
  ) -> [ConnectionGroup] {
    guard by != .none, let base = rows.baseAddress, let offset = MemoryLayout<StoredConnection>.offset(of: \.connection)
    else { return [] }
    let raw = UnsafeRawPointer(base)
    let stride = MemoryLayout<StoredConnection>.stride
    // -1: not in the view; -2: in the view, not grouped yet; else the group's index.
    var groupOf = [Int32](repeating: -1, count: rows.count)
    for s in slots { groupOf[Int(s)] = -2 }
    var builder = GroupBuilder(by: by, flow: flow, listening: listening)
    for slot in 0..<rows.count where groupOf[slot] == -2 {
      let p = (raw + slot * stride + offset).assumingMemoryBound(to: Connection.self)
      groupOf[slot] = Int32(truncatingIfNeeded: builder.add(p) { rows[slot].watched })
    }
    for s in slots { builder.groups[Int(groupOf[Int(s)])].members.append(s) }
    return builder.finish()
  }

  /// Groups `rows` (members: their indices).
  public static func groups(by: GroupBy, rows: [Connection], flow: FlowContext?, listening: Set<UInt16>) -> [ConnectionGroup] {
    guard by != .none else { return [] }
    var builder = GroupBuilder(by: by, flow: flow, listening: listening)
    rows.withUnsafeBufferPointer { b in
      guard let base = b.baseAddress else { return }
      for i in b.indices {
        let g = builder.add(base + i) { nil }
        builder.groups[g].members.append(Int32(truncatingIfNeeded: i))
      }
    }
    return builder.finish()
  }

  /// The group's name, from its key and one of its connections.
  static func label(_ key: GroupKey, _ c: Connection) -> String {
    switch key {
    case .process(-1): return "- (no owner)"
    case .process(let pid):
      let command = c.owner.map { ConnectionText.printable($0.command) } ?? "?"
      return "\(pid)/\(command)"
    case .host(let address): return Format.address(address)
    case .port(let port): return services[port].map { "\(port) \($0)" } ?? "\(port)"
    }
  }

  /// Groups sorted for `order`: Risk by the counts at risk (critical, then warning, then info),
  /// Idle by the largest idle, KA by the connections without keepalive, State by the number of
  /// connections, Timer / Detect by the soonest cut (soonest first when descending), the text
  /// columns by the label; ties by the number of connections, then the label.
  public static func sorted(_ groups: [ConnectionGroup], by order: SortOrder) -> [ConnectionGroup] {
    func key(_ g: ConnectionGroup) -> [Int64] {
      let c = g.counts
      switch order.column {
      case .risk: return [Int64(c.critical), Int64(c.warning), Int64(c.info)]
      case .idle: return [Int64(clamping: g.largestIdleMs ?? 0)]
      case .keepalive: return [Int64(c.keepaliveOff), Int64(c.keepaliveUnknown)]
      case .state: return [Int64(c.total)]
      case .timer, .detect: return [-(g.soonestCutMs ?? Int64.max)]
      case .local, .remote, .owner, .user, .command: return []
      }
    }
    let textual = key(groups.first ?? ConnectionGroup(key: .process(-1), label: "")).isEmpty
    return groups.sorted { a, b in
      let ka = key(a), kb = key(b)
      if ka != kb { return order.descending ? ka.lexicographicallyPrecedes(kb) == false : ka.lexicographicallyPrecedes(kb) }
      if textual && a.label != b.label { return order.descending ? a.label > b.label : a.label < b.label }
      if a.counts.total != b.counts.total { return a.counts.total > b.counts.total }
      return a.label < b.label
    }
  }
}

/// Adds connections to their groups, one at a time, read in place (a copy of each 256-byte
/// Connection would cost more than the grouping).
struct GroupBuilder {
  let by: GroupBy
  let flow: FlowContext?
  let listening: Set<UInt16>
  var groups: [ConnectionGroup] = []
  private var indexOf: [GroupKey: Int] = [:]
  /// A process's group, decided once per pid (forked workers go to their parent's).
  private var groupOfPid: [Int32: Int] = [:]
  /// The last connection's pid / remote address and group: sockets of one process or peer tend
  /// to sit next to each other in the store (opened together), so most rows need no lookup.
  private var last: (pid: Int32, address: IPAddress?, group: Int) = (Int32.min, nil, -1)
  private var pidsOf: [Int: Set<Int32>] = [:]
  private var lastPidOf: [Int32] = []

  init(by: GroupBy, flow: FlowContext?, listening: Set<UInt16>) {
    self.by = by
    self.flow = flow
    self.listening = listening
  }

  /// Counts the connection at `p` in its group; returns the group's index.
  mutating func add(_ p: UnsafePointer<Connection>, watched: () -> FlowActivity.Entry?) -> Int {
    let pid = p.pointee.owner?.pid ?? -1
    let g: Int
    switch by {
    case .process where pid == last.pid: g = last.group
    case .process:
      if let known = groupOfPid[pid] {
        g = known
      } else {
        g = group(of: p)
        groupOfPid[pid] = g
      }
      last = (pid, nil, g)
    case .remoteHost where last.address == p.pointee.record.remote.address: g = last.group
    case .remoteHost:
      g = group(of: p)
      last = (Int32.min, p.pointee.record.remote.address, g)
    default: g = group(of: p)
    }
    groups[g].counts.add(p.pointee)
    if let idle = p.pointee.idleMs, idle > (groups[g].largestIdleMs ?? 0) || groups[g].largestIdleMs == nil {
      groups[g].largestIdleMs = idle
    }
    // Nothing cuts sooner than already: a group past its budget (0) judges no more flows.
    if let flow, groups[g].soonestCutMs != 0, p.pointee.record.state == .established,
      let cut = FlowBudget.verdict(p.pointee, context: flow, watched: watched()).cutInMs
    {
      groups[g].soonestCutMs = min(groups[g].soonestCutMs ?? .max, cut)
    }
    if by == .process, pid >= 0, lastPidOf[g] != pid {
      lastPidOf[g] = pid
      pidsOf[g, default: []].insert(pid)
    }
    return g
  }

  /// The connection's group by its key, made when new.
  private mutating func group(of p: UnsafePointer<Connection>) -> Int {
    let key = Grouping.key(p.pointee, by: by, listening: listening) ?? .process(-1)
    if let known = indexOf[key] { return known }
    let g = groups.count
    indexOf[key] = g
    groups.append(ConnectionGroup(key: key, label: Grouping.label(key, p.pointee)))
    lastPidOf.append(-1)
    return g
  }

  func finish() -> [ConnectionGroup] {
    var out = groups
    for (g, pids) in pidsOf { out[g].processes = pids.count }
    return out
  }
}
