// Middlebox idle-timeout profiles (docs/risks.md; shared/reference/middleboxes.md).

public struct MiddleboxProfile: Hashable, Sendable {
  public var name: String
  public var idleTimeoutSeconds: Int
  public var summary: String

  public init(name: String, idleTimeoutSeconds: Int, summary: String) {
    self.name = name
    self.idleTimeoutSeconds = idleTimeoutSeconds
    self.summary = summary
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
  ]

  /// Looks a profile up by name; `linux-conntrack` is accepted for `conntrack`.
  public static func named(_ name: String) -> MiddleboxProfile? {
    let n = name.lowercased() == "linux-conntrack" ? "conntrack" : name.lowercased()
    return all.first { $0.name == n }
  }

  /// A custom profile from `--idle-timeout`.
  public static func custom(seconds: Int) -> MiddleboxProfile {
    MiddleboxProfile(name: "custom", idleTimeoutSeconds: seconds, summary: "--idle-timeout \(seconds)")
  }

  /// The next profile in `all` (for the TUI's cycle key); custom cycles to the first.
  public var next: MiddleboxProfile {
    guard let i = MiddleboxProfile.all.firstIndex(where: { $0.name == name }) else { return MiddleboxProfile.all[0] }
    return MiddleboxProfile.all[(i + 1) % MiddleboxProfile.all.count]
  }
}
