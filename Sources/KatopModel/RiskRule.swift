// The risk rules' stable ids (docs/risks.md): the raw value is what JSON, the table and the TUI show.

public enum RiskRule: String, Sendable, Hashable, CaseIterable, Codable {
  case noKeepalive = "no-keepalive"
  case keepaliveTooSlow = "keepalive-too-slow"
  case probesUnanswered = "probes-unanswered"
  case retransmitting = "retransmitting"
  case zeroWindow = "zero-window"
  case closeWait = "close-wait"
  /// Judged per flow against this host's conntrack entry (FlowRisks), not by `RiskRules.evaluate`.
  case conntrackExpiresFirst = "conntrack-expires-first"
  /// Judged per network namespace (NamespaceRules, JSON `system.namespaces[].risks`).
  case netnsDefaultKeepalive = "netns-default-keepalive"

  /// The stable id.
  public var id: String { rawValue }
}
