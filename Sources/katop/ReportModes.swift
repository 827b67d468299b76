// The one-shot reports other than the table and JSON: --check, --summary and the metrics
// formats. They all start from one snapshot collected like `--once`.
import Foundation
import KatopModel
import SockDiag

enum OneSnapshot {
  /// Collects, analyses, filters and sorts one snapshot; only the system info is kept from the raw
  /// records (they are freed before sorting and writing: peak RSS, docs/performance.md).
  static func rows(
    request: CollectRequest, source: SocketSource?, profile: MiddleboxProfile, filter: ConnectionFilter,
    sort: KatopModel.SortOrder?
  ) throws -> (system: SystemInfo, status: CollectorStatus, rows: [Connection]) {
    let collector = Collector(source: source)
    collector.keepsCaches = false
    collector.splitsDump = true
    var snapshot = try collector.collect(request)
    var rows = Analyzer.analyze(snapshot, profile: profile, workers: Parallel.workerCount)
    let system = snapshot.system
    let status = snapshot.status
    snapshot = Snapshot(system: system, sockets: [])
    if !filter.isEmpty { rows.removeAll { !filter.matches($0) } }
    sort?.sort(&rows)
    return (system, status, rows)
  }
}

extension Katop {
  /// `--check`: the status line on stdout and the Nagios exit code; a failure to collect is
  /// UNKNOWN (3), also on stdout, where monitoring reads it.
  func runCheck() throws {
    let summary: Summary
    do {
      let (_, _, rows) = try collectRows()
      summary = Summary(rows, profile: chosenProfile, top: output.top)
    } catch {
      try StandardOutput.write(CheckReport.unknownLine(Katop.firstLine("\(error)")))
      Foundation.exit(CheckStatus.unknown.rawValue)
    }
    try StandardOutput.write(CheckReport.line(summary, profile: chosenProfile))
    let status = CheckReport.status(summary)
    if status != .ok { Foundation.exit(status.rawValue) }
  }

  func runSummary() throws {
    let (system, status, rows) = try collectRows()
    let summary = Summary(rows, profile: chosenProfile, top: output.top)
    if json {
      try StandardOutput.write(SummaryReport.json(summary, system: system, status: status, profile: chosenProfile))
    } else {
      try StandardOutput.write(SummaryReport.text(summary, system: system, profile: chosenProfile))
    }
  }

  func runMetrics(system: SystemInfo, status: CollectorStatus, rows: [Connection]) throws {
    let summary = Summary(rows, profile: chosenProfile, top: output.top)
    let format: MetricsFormat = output.format == .openmetrics ? .openmetrics : .prometheus
    try StandardOutput.write(
      PrometheusReport.render(summary: summary, system: system, status: status, profile: chosenProfile, version: Katop.version, format: format))
  }
}
