// The one-shot reports other than the table and JSON: --check, --summary and the metrics
// formats. They all start from one snapshot collected like `--once`.
import Glibc
import KatopModel
import SockDiag

/// One collected, analysed, filtered and sorted snapshot (`Katop.collectRows`).
struct OneSnapshot {
  var system: SystemInfo
  var status: CollectorStatus
  var rows: [Connection]
  /// The flow budgets the rows were judged against, the detected cloud, the namespace.
  var context: ReportContext
  /// The profile for remote addresses no --path rule names.
  var profile: MiddleboxProfile { context.flow.profile }
}

extension Katop {
  /// `--check`: the status line on stdout and the Nagios exit code; a failure to collect is
  /// UNKNOWN (3), also on stdout, where monitoring reads it.
  func runCheck() throws {
    let summary: Summary
    do {
      let one = try collectRows()
      summary = Summary(one.rows, profile: one.profile, top: output.top, flow: one.context.flow)
    } catch {
      try StandardOutput.write(CheckReport.unknownLine(Katop.firstLine("\(error)")))
      Glibc.exit(CheckStatus.unknown.rawValue)
    }
    try StandardOutput.write(CheckReport.line(summary, profile: chosenProfile))
    let status = CheckReport.status(summary)
    if status != .ok { Glibc.exit(status.rawValue) }
  }

  func runSummary() throws {
    let one = try collectRows()
    let (system, status) = (one.system, one.status)
    let summary = Summary(one.rows, profile: one.profile, top: output.top, flow: one.context.flow)
    if json {
      try StandardOutput.write(SummaryReport.json(summary, system: system, status: status, profile: chosenProfile))
    } else {
      try StandardOutput.write(SummaryReport.text(summary, system: system, profile: chosenProfile))
    }
  }

  func runMetrics(_ one: OneSnapshot) throws {
    let (system, status) = (one.system, one.status)
    let summary = Summary(one.rows, profile: one.profile, top: output.top, flow: one.context.flow)
    let format: MetricsFormat = output.format == .openmetrics ? .openmetrics : .prometheus
    try StandardOutput.write(
      PrometheusReport.render(summary: summary, system: system, status: status, profile: chosenProfile, version: Katop.version, format: format))
  }

  /// `--once --group BY`: the groups of the filtered rows as a table, or one JSON document.
  func runGroupedOnce(_ one: OneSnapshot, by: GroupBy) throws {
    let groups = GroupReport.groups(one.rows, by: by, order: sortOrder, flow: one.context.flow)
    if (output.format ?? (json ? .json : .table)) == .json {
      try StandardOutput.write(
        GroupReport.json(system: one.system, status: one.status, profile: one.profile, groups: groups, by: by, context: one.context))
    } else {
      try StandardOutput.write(
        GroupReport.table(
          system: one.system, status: one.status, profile: one.profile, connections: one.rows, groups: groups, by: by,
          detectedFrom: one.context.detection?.detectedFrom))
    }
  }
}
