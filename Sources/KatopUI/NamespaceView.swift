// The namespace view (N): every network namespace katop can see (all of them as root, else its
// own), each with the settings that decide keepalive there: its own tcp_keepalive_* sysctls,
// tcp_retries2, the conntrack established timeout and its TCP sockets, and the namespace rule.
import KatopModel

extension AppState {
  /// katop's own namespace from what the store knows (no namespace reader).
  var ownNamespace: [NamespaceFacts] {
    [NamespaceFacts(label: NamespaceLabel(inode: 0, name: "katop's own"), pid: nil, own: true, system: system,
                    conntrackEstablishedTimeout: nil, connections: counts.total)]
  }
}

extension Renderer {
  static let namespaceColumns: [(title: String, width: Int, right: Bool)] = [
    ("Namespace", 26, false), ("Pid", 7, true), ("Keepalive", 13, false), ("Retries2", 8, true), ("Conntrack", 9, true),
    ("TCP", 7, true),
  ]

  func namespaceLines(_ state: AppState, width: Int) -> [Segments] {
    guard let list = state.namespaceList else { return [[("  reading the namespaces...", .status)]] }
    var header = ""
    for c in Renderer.namespaceColumns { header += Fit.pad(c.title, c.width, right: c.right) + " " }
    var lines: [Segments] = [[(Fit.pad(header + "Risk", width), .tableHeader)]]
    for ns in list {
      let s = ns.system
      let name = (ns.own ? "* " : "  ") + ns.label.display + (ns.label.name != nil && ns.label.container != nil ? " " + (ns.label.container ?? "") : "")
      let values = [
        name, ns.pid.map(String.init) ?? "-", "\(s.keepaliveTime)/\(s.keepaliveInterval)/\(s.keepaliveProbes)", String(s.tcpRetries2),
        ns.conntrackEstablishedTimeout.map { "\($0)s" } ?? "-", String(ns.connections),
      ]
      var line: Segments = []
      for (value, c) in zip(values, Renderer.namespaceColumns) {
        line.append((Fit.pad(value, c.width, right: c.right, ellipsis: glyphs.ellipsis) + " ", ns.own ? .detailValue : .row))
      }
      line.append((ns.risks.first?.id.rawValue ?? "", ns.risks.isEmpty ? .row : .riskWarning))
      lines.append(line)
      for risk in ns.risks {
        lines.append([("    " + Fit.truncate(risk.message, max(0, width - 4), ellipsis: glyphs.ellipsis), .riskWarning)])
        lines.append([("    fix: " + Fit.truncate(risk.fix, max(0, width - 9), ellipsis: glyphs.ellipsis), .detailValue)])
      }
    }
    lines.append([("  * katop's own namespace, the reference of netns-default-keepalive; keepalive = tcp_keepalive_time/intvl/probes", .status)])
    return lines
  }
}
