// The flow verdict in words: the "Cut in" cell (`4m10s`, `CUT`, `kept`, `-`) and the detail
// page's ladder (flow idle, keepalive schedule, middlebox budget, which expires first).

public enum FlowText {
  public static let cutInTitle = "Cut in"

  /// `4m10s` until the budget runs out, `CUT` when already past, `kept` when something keeps the
  /// flow alive, `-` without a budget (no middlebox on the path, or not established).
  public static func cutIn(_ v: FlowVerdict) -> String {
    if v.keptAliveBy != nil { return "kept" }
    guard let ms = v.cutInMs else { return "-" }
    return ms == 0 ? "CUT" : Format.duration(ms: ms)
  }

  /// One line per rung, most telling first.
  public static func ladder(_ c: Connection, _ v: FlowVerdict) -> [(label: String, value: String)] {
    var out: [(String, String)] = []
    let idle = v.idleMs.map { Format.duration(ms: Int64(clamping: $0)) } ?? "unknown"
    out.append(("flow idle", idle + " (min of last data sent, data received, ACK received; watched segments)"))
    let ka = c.keepalive
    switch ka.enabled {
    case true?:
      var s = "first probe \(ka.idleSeconds)s after the last segment received"
      if let at = v.keepaliveArrivesMs { s += ", arrives by \(Format.duration(ms: at)) at worst (timer wheel + RTT)" }
      out.append(("keepalive", s))
    case false?: out.append(("keepalive", "off"))
    case nil: out.append(("keepalive", "unknown"))
    }
    let budget: String
    switch v.budget {
    case .none: budget = "none: the remote address is on this host"
    case .path: budget = "\(v.timeoutSeconds ?? 0)s from --path (\(v.profile?.summary ?? ""))"
    case .profile: budget = "\(v.timeoutSeconds ?? 0)s, profile \(v.profile?.name ?? "?")"
    case .idleTimeout: budget = "\(v.timeoutSeconds ?? 0)s from --idle-timeout"
    case .conntrack: budget = "\(v.timeoutSeconds ?? 0)s left on this host's conntrack entry"
    }
    out.append(("path budget", budget))
    let verdict: String
    switch v.keptAliveBy {
    case .keepalive?: verdict = "kept: our keepalive refreshes the middlebox before its budget runs out"
    case .peer?: verdict = "kept: the peer's probes cross the path (segments seen while last_* stood still)"
    case .traffic?: verdict = "kept: application traffic"
    case nil:
      if let ms = v.cutInMs { verdict = ms == 0 ? "CUT: idle past the budget, the next segment may be dropped or reset" : "cut in \(Format.duration(ms: ms)) unless something is sent" }
      else { verdict = "-" }
    }
    out.append(("expires first", verdict))
    return out
  }
}
