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

  /// The local ports of the LISTEN sockets among `count` connections.
  public static func listeningPorts(count: Int, _ connectionAt: (Int) -> Connection) -> Set<UInt16> {
    var out = Set<UInt16>()
    for i in 0..<count {
      let r = connectionAt(i).record
      if r.state == .listen { out.insert(r.local.port) }
    }
    return out
  }

  /// Groups `count` connections (`connectionAt(i)`, member id `idOf(i)`), in first-seen order.
  /// `flow`: path budgets for the soonest cut (nil: no cut known), with what was watched of each
  /// flow (`watchedAt(i)`: a store row's entry; nil: the context's activity).
  public static func groups(
    by: GroupBy, count: Int, flow: FlowContext?, listening: Set<UInt16>, id idOf: (Int) -> Int32,
    watched watchedAt: ((Int) -> FlowActivity.Entry?)? = nil, _ connectionAt: (Int) -> Connection
  ) -> [ConnectionGroup] {
    guard by != .none else { return [] }
    var indexOf: [GroupKey: Int] = [:]
    var out: [ConnectionGroup] = []
    var pidsOf: [Int: Set<Int32>] = [:]
    for i in 0..<count {
      let c = connectionAt(i)
      guard let key = key(c, by: by, listening: listening) else { continue }
      let g: Int
      if let known = indexOf[key] {
        g = known
      } else {
        g = out.count
        indexOf[key] = g
        out.append(ConnectionGroup(key: key, label: label(key, c)))
      }
      out[g].counts.add(c)
      out[g].members.append(idOf(i))
      if let idle = c.idleMs, idle > (out[g].largestIdleMs ?? 0) || out[g].largestIdleMs == nil { out[g].largestIdleMs = idle }
      if let flow, c.record.state == .established,
        let cut = FlowBudget.verdict(c, context: flow, watched: watchedAt?(i)).cutInMs
      {
        out[g].soonestCutMs = min(out[g].soonestCutMs ?? .max, cut)
      }
      if by == .process, let pid = c.owner?.pid { pidsOf[g, default: []].insert(pid) }
    }
    for (g, pids) in pidsOf { out[g].processes = pids.count }
    return out
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
