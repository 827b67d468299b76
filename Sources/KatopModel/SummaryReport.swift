// `katop --summary` (and `--summary --json`): the counts of a snapshot without its rows
// (docs/summary.md).

public enum SummaryReport {
  /// The table header lines (host, sysctls, profile, counts) plus the grouped counts.
  public static func text(_ s: Summary, system: SystemInfo, profile: MiddleboxProfile) -> String {
    var lines = TableReport.header(system: system, profile: profile, connections: [])
    // The header's counts line describes an empty list here; the summary's own lines replace it.
    lines.removeAll { $0.hasPrefix("connections: ") }
    let n = s.counts
    lines.append("")
    lines.append("connections: \(n.total)")
    lines.append("by state: " + s.byState.filter { $0.count > 0 }.map { "\($0.state.kernelName) \($0.count)" }.joined(separator: ", "))
    lines.append("keepalive: on \(n.keepaliveOn), off \(n.keepaliveOff), unknown \(n.keepaliveUnknown)")
    lines.append("at risk (worst per connection): \(n.critical) critical, \(n.warning) warning, \(n.info) info")
    let rules = s.byRule.sorted { $0.key < $1.key }
    lines.append("risks: " + (rules.isEmpty ? "none" : rules.map { "\($0.key.rule) \($0.key.severity.name) \($0.value)" }.joined(separator: ", ")))
    if let cut = s.soonestCutInMs { lines.append("soonest cut: in \(Format.duration(ms: cut)) (idle flow keepalive does not refresh in time)") }
    func group(_ title: String, _ buckets: [Summary.Bucket]) {
      lines.append(title + ": " + (buckets.isEmpty ? "none" : buckets.map { "\(ConnectionText.printable($0.label)) \($0.count)" }.joined(separator: ", ")))
    }
    group("top owners", s.byOwner)
    group("top remote ports", s.byRemotePort)
    group("top remote addresses", s.byRemoteAddress)
    return lines.joined(separator: "\n") + "\n"
  }

  /// One JSON document: `{"system": {...same as --json...}, "summary": {...}}`.
  public static func json(_ s: Summary, system: SystemInfo, status: CollectorStatus = CollectorStatus(), profile: MiddleboxProfile) -> [UInt8] {
    let w = JSONWriter(capacity: 4096)
    w.beginObject()
    w.key("system")
    JSONReport.writeSystem(w, system, status, profile)
    w.key("summary")
    w.beginObject()
    let n = s.counts
    w.key("connections"); w.int(n.total)
    w.key("byState")
    w.beginArray()
    for (state, count) in s.byState where count > 0 {
      w.beginObject()
      w.key("state"); w.string(state.kernelName)
      w.key("connections"); w.int(count)
      w.endObject()
    }
    w.endArray()
    JSONReport.writeKeepaliveAndRisk(w, n)
    w.key("risks")
    w.beginArray()
    for (key, count) in s.byRule.sorted(by: { $0.key < $1.key }) {
      w.beginObject()
      w.key("id"); w.string(key.rule)
      w.key("severity"); w.string(key.severity.name)
      w.key("connections"); w.int(count)
      w.endObject()
    }
    w.endArray()
    w.key("soonestCutInMs"); w.int(s.soonestCutInMs)
    let groups: [(StaticString, [Summary.Bucket])] = [
      ("topOwners", s.byOwner), ("topRemotePorts", s.byRemotePort), ("topRemoteAddresses", s.byRemoteAddress),
    ]
    for (name, buckets) in groups {
      w.key(name)
      w.beginArray()
      for b in buckets {
        w.beginObject()
        w.key("name"); w.string(b.label)
        w.key("connections"); w.int(b.count)
        w.endObject()
      }
      w.endArray()
    }
    w.endObject()
    w.endObject()
    w.newline()
    return w.bytes
  }
}
