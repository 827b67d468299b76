// Middlebox idle-timeout profiles (docs/risks.md; shared/reference/middleboxes.md).

public struct MiddleboxProfile: Hashable, Sendable {
  public var name: String
  public var idleTimeoutSeconds: Int
  public var summary: String
  /// True for L4 boxes (NAT, L4 load balancers, stateful firewalls, conntrack): a TCP keepalive
  /// probe crossing them refreshes their entry. False for L7 proxies (AWS ALB, Envoy, HAProxy in
  /// http mode): they end TCP themselves, so only application traffic keeps the flow.
  public var keepaliveRefreshes: Bool

  public init(name: String, idleTimeoutSeconds: Int, summary: String, keepaliveRefreshes: Bool = true) {
    self.name = name
    self.idleTimeoutSeconds = idleTimeoutSeconds
    self.summary = summary
    self.keepaliveRefreshes = keepaliveRefreshes
  }

  public static let aws = MiddleboxProfile(
    name: "aws", idleTimeoutSeconds: 350, summary: "AWS NAT Gateway / NLB / Network Firewall")
  public static let all: [MiddleboxProfile] = [
    aws,
    MiddleboxProfile(name: "azure", idleTimeoutSeconds: 240, summary: "Azure Load Balancer / NAT Gateway"),
    MiddleboxProfile(name: "gcp-nat", idleTimeoutSeconds: 1200, summary: "GCP Cloud NAT"),
    MiddleboxProfile(name: "gcp-vpc", idleTimeoutSeconds: 600, summary: "GCP VPC firewall connection tracking"),
    MiddleboxProfile(name: "cgnat", idleTimeoutSeconds: 300, summary: "carrier-grade NAT"),
    MiddleboxProfile(name: "conntrack", idleTimeoutSeconds: 432_000, summary: "Linux nf_conntrack default"),
    MiddleboxProfile(name: "aws-nlb", idleTimeoutSeconds: 350, summary: "AWS Network Load Balancer (TCP)"),
    MiddleboxProfile(name: "aws-nat", idleTimeoutSeconds: 350, summary: "AWS NAT Gateway"),
    MiddleboxProfile(
      name: "aws-alb", idleTimeoutSeconds: 60, summary: "AWS Application Load Balancer (L7: keepalive does not refresh it)",
      keepaliveRefreshes: false),
    MiddleboxProfile(name: "docker-swarm", idleTimeoutSeconds: 900, summary: "Docker Swarm routing mesh (IPVS)"),
    MiddleboxProfile(name: "kube-proxy", idleTimeoutSeconds: 86_400, summary: "kube-proxy (conntrack, nf_conntrack_tcp_timeout_established 86400)"),
  ]

  /// Looks a profile up by name; `linux-conntrack` is accepted for `conntrack`.
  public static func named(_ name: String) -> MiddleboxProfile? {
    let n = name.lowercased() == "linux-conntrack" ? "conntrack" : name.lowercased()
    return all.first { $0.name == n }
  }

  /// A custom profile from `--idle-timeout` (or a `--path` rule's seconds).
  public static func custom(seconds: Int, summary: String? = nil) -> MiddleboxProfile {
    MiddleboxProfile(name: "custom", idleTimeoutSeconds: seconds, summary: summary ?? "--idle-timeout \(seconds)")
  }

  /// The conntrack profile with this namespace's own nf_conntrack_tcp_timeout_established.
  public static func conntrack(establishedTimeout seconds: Int) -> MiddleboxProfile {
    MiddleboxProfile(
      name: "conntrack", idleTimeoutSeconds: seconds,
      summary: "Linux nf_conntrack (this namespace's nf_conntrack_tcp_timeout_established \(seconds))")
  }

  /// The next profile in `all` (for the TUI's cycle key); custom cycles to the first.
  public var next: MiddleboxProfile {
    guard let i = MiddleboxProfile.all.firstIndex(where: { $0.name == name }) else { return MiddleboxProfile.all[0] }
    return MiddleboxProfile.all[(i + 1) % MiddleboxProfile.all.count]
  }
}
