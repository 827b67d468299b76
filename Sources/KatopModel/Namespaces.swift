// Network namespaces (`--netns`): each has its own tcp_keepalive_* sysctls, tcp_retries2 and
// conntrack timeouts, and a new one starts at 7200/75/9 whatever the host was tuned to. A row's
// namespace (JSON `netns`), each namespace's settings (JSON `system.namespaces`), the rule
// `netns-default-keepalive`, and the container a namespace belongs to, from a cgroup path.

/// Which namespace a connection lives in (JSON per connection `netns`).
public struct NamespaceLabel: Hashable, Sendable {
  /// Inode of the namespace (nsfs): unique while it exists.
  public var inode: UInt64
  /// The `ip netns` name (a bind mount under /run/netns), if any.
  public var name: String?
  /// The container or pod of a process inside it (CgroupParser), if any.
  public var container: String?
  public init(inode: UInt64, name: String? = nil, container: String? = nil) {
    self.inode = inode
    self.name = name
    self.container = container
  }

  /// `name`, else `container`, else `netns:[INODE]`.
  public var display: String { name ?? container ?? "netns:[\(inode)]" }
}

/// One namespace's facts (JSON `system.namespaces[]`).
public struct NamespaceFacts: Sendable {
  public var label: NamespaceLabel
  /// A process inside it (nil: only a bind mount holds it).
  public var pid: Int32?
  /// True for the namespace katop runs in.
  public var own: Bool
  /// Its keepalive sysctls and tcp_retries2 (read inside it).
  public var system: SystemInfo
  /// nf_conntrack_tcp_timeout_established inside it (nil: conntrack not loaded there).
  public var conntrackEstablishedTimeout: Int?
  /// TCP sockets katop listed in it.
  public var connections: Int
  /// Namespace rules that fire (netns-default-keepalive).
  public var risks: [Risk] = []

  public init(
    label: NamespaceLabel, pid: Int32?, own: Bool, system: SystemInfo, conntrackEstablishedTimeout: Int?, connections: Int
  ) {
    self.label = label
    self.pid = pid
    self.own = own
    self.system = system
    self.conntrackEstablishedTimeout = conntrackEstablishedTimeout
    self.connections = connections
  }
}

/// The namespaces of one report and which one each connection belongs to (by cookie: socket
/// cookies are unique across namespaces).
public struct NamespaceMap: Sendable {
  public var namespaces: [NamespaceFacts]
  private var indexOfCookie: [UInt64: Int32] = [:]

  /// The namespace of a connection no `assign` named (katop's own, when it listed only that one).
  public var defaultIndex: Int?

  public init(namespaces: [NamespaceFacts] = [], defaultIndex: Int? = nil) {
    self.namespaces = namespaces
    self.defaultIndex = defaultIndex
  }

  public mutating func assign(_ cookies: [UInt64], to index: Int) {
    for c in cookies { indexOfCookie[c] = Int32(index) }
  }

  public func label(of cookie: UInt64) -> NamespaceLabel? {
    guard let i = indexOfCookie[cookie].map(Int.init) ?? defaultIndex, namespaces.indices.contains(i) else { return nil }
    return namespaces[i].label
  }

  /// Judges every namespace against katop's own (NamespaceRules).
  public mutating func evaluateRules() {
    guard let host = namespaces.first(where: \.own) else { return }
    for i in namespaces.indices {
      namespaces[i].risks = NamespaceRules.evaluate(namespaces[i], host: host.system)
    }
  }
}

public enum NamespaceRules {
  static let defaults = (time: 7200, intvl: 75, probes: 9)

  /// `netns-default-keepalive`: the namespace is on the kernel's defaults while the host (katop's
  /// own namespace) is tuned; the fix names the container runtime's per-namespace sysctls.
  public static func evaluate(_ ns: NamespaceFacts, host: SystemInfo) -> [Risk] {
    let s = ns.system
    let onDefaults = s.keepaliveTime == defaults.time && s.keepaliveInterval == defaults.intvl && s.keepaliveProbes == defaults.probes
    let hostTuned = host.keepaliveTime != defaults.time || host.keepaliveInterval != defaults.intvl || host.keepaliveProbes != defaults.probes
    guard !ns.own, onDefaults, hostTuned else { return [] }
    let h = "\(host.keepaliveTime)/\(host.keepaliveInterval)/\(host.keepaliveProbes)"
    let message = "namespace \(ns.label.display) keeps the kernel's keepalive defaults 7200/75/9 (2h before the first probe) while the host is tuned to \(h)"
    let sysctls = [("tcp_keepalive_time", host.keepaliveTime), ("tcp_keepalive_intvl", host.keepaliveInterval), ("tcp_keepalive_probes", host.keepaliveProbes)]
    let docker = sysctls.map { "--sysctl net.ipv4.\($0.0)=\($0.1)" }.joined(separator: " ")
    let kube = sysctls.map { "{name: net.ipv4.\($0.0), value: \"\($0.1)\"}" }.joined(separator: ", ")
    let where_ = ns.label.name.map { "ip netns exec \($0) sysctl -w net.ipv4.tcp_keepalive_time=\(host.keepaliveTime) ...; " } ?? ""
    let fix = "each namespace has its own keepalive sysctls: \(where_)docker run \(docker); Kubernetes pod securityContext.sysctls: [\(kube)] (safe sysctls since 1.29)"
    return [Risk(id: .netnsDefaultKeepalive, severity: .warning, message: message, fix: fix)]
  }
}

/// The container or pod a process belongs to, from /proc/PID/cgroup (pure: the text in).
public enum CgroupParser {
  /// `docker 3f2a…` (12 hex), `containerd …`, `cri-o …`, `podman …`, `pod <uid>` (kubepods without
  /// a runtime scope), or the systemd unit (`nginx.service`); nil for the root cgroup, user
  /// sessions and init.scope.
  public static func container(fromCgroup text: String) -> String? {
    // cgroup v2 ("0::/path") first, else the first v1 line with a path.
    let lines = text.split(separator: "\n")
    let path = lines.first { $0.hasPrefix("0::") }.map { String($0.dropFirst(3)) }
      ?? lines.compactMap { line -> String? in
        let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        return parts.count == 3 && parts[2] != "/" ? String(parts[2]) : nil
      }.first
    guard let path, path != "/" else { return nil }
    let pieces = path.split(separator: "/").map(String.init)
    let pod = kubernetesPod(pieces)
    let runtimes: [(prefix: String, name: String)] = [
      ("docker-", "docker"), ("cri-containerd-", "containerd"), ("crio-", "cri-o"), ("libpod-", "podman"),
    ]
    var found: String?
    for piece in pieces.reversed() where found == nil {
      for r in runtimes where piece.hasPrefix(r.prefix) {
        let id = piece.dropFirst(r.prefix.count).split(separator: ".").first.map(String.init) ?? ""
        if isHexID(id) { found = "\(r.name) \(id.prefix(12))" }
      }
    }
    // cgroupfs driver: /docker/<id>, /kubepods/<qos>/pod<uid>/<id>.
    if found == nil, let i = pieces.firstIndex(of: "docker"), i + 1 < pieces.count, isHexID(pieces[i + 1]) {
      found = "docker \(pieces[i + 1].prefix(12))"
    }
    if found == nil, pod != nil, let last = pieces.last, isHexID(last) { found = "container \(last.prefix(12))" }
    switch (found, pod) {
    case let (c?, p?): return "\(c) (pod \(p))"
    case let (c?, nil): return c
    case let (nil, p?): return "pod \(p)"
    case (nil, nil):
      if let unit = pieces.last, unit.hasSuffix(".service") { return unit }
      return nil
    }
  }

  /// The pod UID of a kubepods path: `kubepods-burstable-pod12_34.slice` (systemd driver, `_` for
  /// `-`) or `pod12-34` (cgroupfs).
  static func kubernetesPod(_ pieces: [String]) -> String? {
    guard pieces.first?.hasPrefix("kubepods") ?? false else { return nil }
    for piece in pieces {
      let base = piece.hasSuffix(".slice") ? String(piece.dropLast(6)) : piece
      if base.hasPrefix("pod") { return String(base.dropFirst(3)) }
      if let last = base.split(separator: "-").last, last.hasPrefix("pod"), base.hasPrefix("kubepods") {
        return String(last.dropFirst(3).map { $0 == "_" ? "-" : $0 })
      }
    }
    return nil
  }

  static func isHexID(_ s: String) -> Bool {
    s.count >= 12 && s.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
  }
}

