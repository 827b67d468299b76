// `katop --check`: one status line and an exit code by the Nagios plugin conventions (0 OK,
// 1 WARNING, 2 CRITICAL, 3 UNKNOWN), with perfdata after `|` (docs/check.md).

public enum CheckStatus: Int32, Sendable {
  case ok = 0, warning = 1, critical = 2, unknown = 3

  public var word: String {
    switch self {
    case .ok: return "OK"
    case .warning: return "WARNING"
    case .critical: return "CRITICAL"
    case .unknown: return "UNKNOWN"
    }
  }
}

public enum CheckReport {
  /// CRITICAL when any connection's worst risk is critical, WARNING when any is a warning, else
  /// OK (info risks do not count).
  public static func status(_ s: Summary) -> CheckStatus {
    if s.counts.critical > 0 { return .critical }
    if s.counts.warning > 0 { return .warning }
    return .ok
  }

  /// `KATOP CRITICAL - 2 critical (no-keepalive 2), 1 warning in 14 connections | perfdata`.
  public static func line(_ s: Summary, profile: MiddleboxProfile) -> String {
    let st = status(s)
    let n = s.counts
    var text = "KATOP \(st.word) - "
    if st == .ok {
      text += "no connection at risk in \(n.total) connections (profile \(profile.name), idle timeout \(profile.idleTimeoutSeconds)s)"
    } else {
      var parts: [String] = []
      for sev in [Severity.critical, .warning] where n.atRisk(sev) > 0 {
        let rules = s.byRule.filter { $0.key.severity == sev }.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        parts.append("\(n.atRisk(sev)) \(sev.name) (" + rules.map { "\($0.key.rule) \($0.value)" }.joined(separator: ", ") + ")")
      }
      text += parts.joined(separator: ", ") + " in \(n.total) connections (profile \(profile.name))"
    }
    return text + " | " + perfdata(s)
  }

  /// `label=value;warn;crit;min`: thresholds 0 on the risk counts (alert above 0).
  public static func perfdata(_ s: Summary) -> String {
    let n = s.counts
    var items = [
      "connections=\(n.total);;;0", "established=\(n.established);;;0",
      "critical=\(n.critical);;0;0", "warning=\(n.warning);0;;0", "info=\(n.info);;;0",
      "keepalive_off=\(n.keepaliveOff);;;0", "keepalive_unknown=\(n.keepaliveUnknown);;;0",
    ]
    if let cut = s.soonestCutInMs { items.append("soonest_cut=\(cut / 1000)s;;;0") }
    return items.joined(separator: " ")
  }

  /// The line for a failure before any counts (collection error): UNKNOWN.
  public static func unknownLine(_ message: String) -> String {
    "KATOP UNKNOWN - " + message
  }
}
