// `katop --once --group BY`: the groups as a table or, with --json, one JSON document
// (docs/json.md, "Grouped").

public enum GroupReport {
  /// Groups of `--once`'s rows (already filtered and sorted), sorted like the TUI's.
  public static func groups(_ rows: [Connection], by: GroupBy, order: SortOrder, flow: FlowContext?) -> [ConnectionGroup] {
    let listening = by == .remotePort ? Grouping.listeningPorts(rows) : []
    let made = Grouping.groups(by: by, rows: rows, flow: flow, listening: listening)
    return Grouping.sorted(made, by: order)
  }

  static let titles = ["Conns", "KA on", "off", "?", "critical", "warning", "info", "Cut in", "Max idle"]

  static func cells(_ g: ConnectionGroup) -> [String] {
    let c = g.counts
    return [
      "\(c.total)", "\(c.keepaliveOn)", "\(c.keepaliveOff)", "\(c.keepaliveUnknown)", "\(c.critical)", "\(c.warning)",
      "\(c.info)", g.soonestCutMs.map { $0 == 0 ? "CUT" : Format.duration(ms: $0) } ?? "-",
      g.largestIdleMs.map { Format.duration(ms: Int64(clamping: $0)) } ?? "-",
    ]
  }

  /// The `--once` header, then one aligned line per group.
  public static func table(
    system: SystemInfo, status: CollectorStatus, profile: MiddleboxProfile, connections: [Connection],
    groups: [ConnectionGroup], by: GroupBy, detectedFrom: String? = nil
  ) -> String {
    var lines = TableReport.header(
      system: system, status: status, profile: profile, connections: connections, detectedFrom: detectedFrom)
    lines.append("")
    let names = groups.map { $0.label + ($0.processes > 1 ? " (\($0.processes) pids)" : "") }
    let nameWidth = max(by.title.count, names.map(\.count).max() ?? 0)
    let rows = groups.map(cells)
    var widths = titles.map(\.count)
    for r in rows { for (i, cell) in r.enumerated() { widths[i] = max(widths[i], cell.count) } }
    func line(_ name: String, _ cells: [String]) -> String {
      var s = name + String(repeating: " ", count: nameWidth - name.count)
      for (i, cell) in cells.enumerated() { s += "  " + String(repeating: " ", count: widths[i] - cell.count) + cell }
      return s
    }
    lines.append(line(by.title, titles))
    for (name, r) in zip(names, rows) { lines.append(line(name, r)) }
    return lines.joined(separator: "\n") + "\n"
  }

  /// `{"system": ..., "groupBy": "process", "groups": [...]}`.
  public static func json(
    system: SystemInfo, status: CollectorStatus, profile: MiddleboxProfile, groups: [ConnectionGroup], by: GroupBy,
    context: ReportContext? = nil
  ) -> [UInt8] {
    let w = JSONWriter(capacity: 1024 + groups.count * 300)
    w.beginObject()
    w.key("system")
    JSONReport.writeSystem(w, system, status, profile, context)
    w.key("groupBy"); w.string(by.rawValue)
    w.key("groups")
    w.beginArray()
    for g in groups { writeGroup(w, g) }
    w.endArray()
    w.endObject()
    w.newline()
    return w.bytes
  }

  static func writeGroup(_ w: JSONWriter, _ g: ConnectionGroup) {
    let c = g.counts
    w.beginObject()
    w.key("key")
    switch g.key {
    case .process(let pid): if pid < 0 { w.null() } else { w.int(pid) }
    case .host(let address): w.string(Format.address(address))
    case .port(let port): w.int(port)
    }
    w.key("label"); w.string(g.label)
    w.key("processes"); if g.processes > 0 { w.int(g.processes) } else { w.null() }
    w.key("connections"); w.int(c.total)
    w.key("states")
    w.beginObject()
    w.key("established"); w.int(c.established)
    w.key("listen"); w.int(c.listen)
    w.key("closeWait"); w.int(c.closeWait)
    w.key("timeWait"); w.int(c.timeWait)
    w.endObject()
    JSONReport.writeKeepaliveAndRisk(w, c)
    w.key("soonestCutMs"); w.int(g.soonestCutMs)
    w.key("largestIdleMs"); w.int(g.largestIdleMs)
    w.endObject()
  }
}
