// Shared by the collector fuzz targets: pushes parsed records through everything katop does with
// them (analysis under every profile, sort, filter, JSON and table reports).

func modelRoundTrip(_ records: [SocketRecord]) {
  if records.isEmpty { return }
  let system = SystemInfo()
  var status = CollectorStatus()
  status.notes = [.ignoredSysctl(name: "fuzz", shown: "\u{1}", range: 0...1, assumed: 0)]
  let snapshot = Snapshot(system: system, sockets: records, takenAtMs: 1_000)
  for profile in [MiddleboxProfile.aws, .custom(seconds: 1)] {
    var rows = Analyzer.analyze(snapshot, profile: profile)
    // One sort column per input (cheap), chosen by the input so every column gets exercised.
    let columns = SortColumn.allCases
    let column = columns[Int(records[0].inode % UInt32(columns.count))]
    SortOrder(column: column, descending: records.count % 2 == 0).sort(&rows)
    let filter = ConnectionFilter(ports: [records[0].local.port], states: [], riskyOnly: true, text: "1")
    let kept = rows.filter(filter.matches)
    _ = JSONReport.renderUTF8(system: system, status: status, profile: profile, connections: rows)
    _ = TableReport.render(system: system, status: status, profile: profile, connections: kept)
  }
}
