// `katop --once --format prometheus|openmetrics` and `katop export`: the snapshot's counts in the
// Prometheus text exposition format 0.0.4 (or OpenMetrics 1.0), for node_exporter's textfile
// collector or any scraper. Metric names and labels: docs/prometheus.md.

public enum MetricsFormat: String, Sendable, CaseIterable {
  case prometheus, openmetrics
}

public enum PrometheusReport {
  public static func render(
    summary s: Summary, system: SystemInfo, status: CollectorStatus = CollectorStatus(), profile: MiddleboxProfile, version: String,
    format: MetricsFormat = .prometheus
  ) -> String {
    var out = MetricsWriter(format: format)
    out.family("katop_info", .gauge, "Constant 1; labels name the katop version, socket source and risk profile.")
    out.sample(
      "katop_info",
      ["version": version, "source": status.source.rawValue, "profile": profile.name], 1)
    out.family("katop_privileged", .gauge, "1 when katop read each socket's own keepalive settings (root), 0 when they are assumed from sysctls.")
    out.sample("katop_privileged", [:], system.privileged ? 1 : 0)
    out.family("katop_profile_idle_timeout_seconds", .gauge, "Middlebox idle timeout of the risk profile in use.")
    out.sample("katop_profile_idle_timeout_seconds", [:], Double(profile.idleTimeoutSeconds))

    out.family("katop_connections", .gauge, "TCP sockets by kernel state.")
    for (state, n) in s.byState { out.sample("katop_connections", ["state": state.kernelName.lowercased()], Double(n)) }
    out.family("katop_keepalive_connections", .gauge, "Connections keepalive applies to, by keepalive on, off, or unknown (settings not readable).")
    for (label, n) in [("on", s.counts.keepaliveOn), ("off", s.counts.keepaliveOff), ("unknown", s.counts.keepaliveUnknown)] {
      out.sample("katop_keepalive_connections", ["keepalive": label], Double(n))
    }
    out.family("katop_connections_at_risk", .gauge, "Connections by the severity of their worst risk.")
    for sev in Severity.allCases.reversed() {
      out.sample("katop_connections_at_risk", ["severity": sev.name], Double(s.counts.atRisk(sev)))
    }
    out.family("katop_risks", .gauge, "Connections each risk rule fires on, by rule and severity (docs/risks.md).")
    var listed = Set<Summary.RiskKey>()
    for rule in RiskRules.all {
      for sev in Severity.allCases.reversed() where sev <= rule.severity {
        let key = Summary.RiskKey(rule: rule.id.rawValue, severity: sev)
        listed.insert(key)
        out.sample("katop_risks", ["rule": rule.id.rawValue, "severity": sev.name], Double(s.byRule[key] ?? 0))
      }
    }
    // Rules judged per flow (conntrack-expires-first) are not in the table-wide list: when they
    // fire, they are counted too.
    for (key, n) in s.byRule.sorted(by: { $0.key < $1.key }) where !listed.contains(key) {
      out.sample("katop_risks", ["rule": key.rule, "severity": key.severity.name], Double(n))
    }
    out.family(
      "katop_soonest_cut_seconds", .gauge,
      "Seconds until the soonest ESTABLISHED flow is cut by its path budget (flow.cutInMs of the JSON; +Inf: none).")
    out.sample("katop_soonest_cut_seconds", [:], s.soonestCutInMs.map { Double($0) / 1000 } ?? .infinity)
    out.family("katop_connections_by_owner", .gauge, "TCP sockets by owning command (top commands, then other; - is unknown).")
    for b in s.byOwner { out.sample("katop_connections_by_owner", ["command": b.label], Double(b.count)) }
    out.family("katop_connections_by_remote_port", .gauge, "Non-listening TCP sockets by remote port (top ports, then other).")
    for b in s.byRemotePort { out.sample("katop_connections_by_remote_port", ["port": b.label], Double(b.count)) }

    out.family("katop_sysctl_tcp_keepalive_time_seconds", .gauge, "net.ipv4.tcp_keepalive_time of katop's network namespace.")
    out.sample("katop_sysctl_tcp_keepalive_time_seconds", [:], Double(system.keepaliveTime))
    out.family("katop_sysctl_tcp_keepalive_intvl_seconds", .gauge, "net.ipv4.tcp_keepalive_intvl of katop's network namespace.")
    out.sample("katop_sysctl_tcp_keepalive_intvl_seconds", [:], Double(system.keepaliveInterval))
    out.family("katop_sysctl_tcp_keepalive_probes", .gauge, "net.ipv4.tcp_keepalive_probes of katop's network namespace.")
    out.sample("katop_sysctl_tcp_keepalive_probes", [:], Double(system.keepaliveProbes))
    out.family("katop_sysctl_tcp_retries2", .gauge, "net.ipv4.tcp_retries2 of katop's network namespace.")
    out.sample("katop_sysctl_tcp_retries2", [:], Double(system.tcpRetries2))
    if let n = system.keepaliveProbesSent {
      out.family("katop_tcpext_keepalive_probes", .counter, "Keepalive probes sent (TcpExt TCPKeepAlive, /proc/net/netstat).")
      out.sample("katop_tcpext_keepalive_probes_total", [:], Double(n))
    }
    if let n = system.abortOnTimeout {
      out.family("katop_tcpext_abort_on_timeout", .counter, "Connections aborted after too many retransmissions or keepalive probes (TcpExt TCPAbortOnTimeout).")
      out.sample("katop_tcpext_abort_on_timeout_total", [:], Double(n))
    }
    out.family("katop_dump_interrupted", .gauge, "1 when the kernel interrupted the socket dump (counts may be incomplete).")
    out.sample("katop_dump_interrupted", [:], status.dumpInterrupted ? 1 : 0)
    return out.finish()
  }
}

/// Writes metric families in the text format: `# HELP` / `# TYPE` lines, then samples.
struct MetricsWriter {
  enum Kind: String { case gauge, counter }
  let format: MetricsFormat
  private var text = ""

  init(format: MetricsFormat) { self.format = format }

  /// A counter family is named without `_total` in OpenMetrics, with it in the 0.0.4 format.
  mutating func family(_ base: String, _ kind: Kind, _ help: String) {
    let name = kind == .counter && format == .prometheus ? base + "_total" : base
    text += "# HELP \(name) \(Self.escapeHelp(help))\n# TYPE \(name) \(kind.rawValue)\n"
  }

  mutating func sample(_ name: String, _ labels: [String: String], _ value: Double) {
    text += name
    if !labels.isEmpty {
      text += "{" + labels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\(Self.escapeLabel($0.value))\"" }.joined(separator: ",") + "}"
    }
    text += " " + Self.number(value) + "\n"
  }

  mutating func finish() -> String {
    if format == .openmetrics { text += "# EOF\n" }
    return text
  }

  static func number(_ v: Double) -> String {
    if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
    if v.isNaN { return "NaN" }
    if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
    return "\(v)"
  }

  /// HELP text escapes backslashes and newlines; label values also double quotes.
  static func escapeHelp(_ s: String) -> String { escape(s, quotes: false) }
  static func escapeLabel(_ s: String) -> String { escape(s, quotes: true) }

  static func escape(_ s: String, quotes: Bool) -> String {
    var out = ""
    for ch in s.unicodeScalars {
      switch ch {
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\"" where quotes: out += "\\\""
      default: out.unicodeScalars.append(ch)
      }
    }
    return out
  }
}
