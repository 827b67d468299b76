// The one-shot report options: output format, --summary, --check, --print-config (docs/summary.md,
// docs/check.md, docs/prometheus.md, docs/config.md).
import ArgumentParser
import KatopModel

enum OutputFormat: String, CaseIterable, ExpressibleByArgument {
  case table, json, prometheus, openmetrics
}

struct OutputOptions: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "With --once: table (default), json (same as --json), prometheus (text format 0.0.4) or openmetrics.",
      valueName: "format"))
  var format: OutputFormat?

  @Flag(help: "Print counts by state, keepalive, risk, top owners and remotes without the rows (a table, or JSON with --json).")
  var summary = false

  @Flag(help: "Nagios plugin mode: one status line with perfdata; exit 0 OK, 1 warning, 2 critical, 3 unknown.")
  var check = false

  @Option(help: ArgumentHelp("Label values kept per owner / remote port in --summary and metrics (then 'other').", valueName: "n"))
  var top: Int = 10

  @Flag(name: .customLong("print-config"), help: "Print the effective settings, where each came from, and exit.")
  var printConfig = false

  func validate(once: Bool, json: Bool) throws {
    let modes = [summary, check, printConfig].filter { $0 }.count
    if modes > 1 { throw ValidationError("--summary, --check and --print-config exclude each other") }
    if let format {
      if !once { throw ValidationError("--format needs --once") }
      if json && format != .json { throw ValidationError("--json and --format \(format.rawValue) disagree") }
    }
    if modes > 0 && format != nil { throw ValidationError("--format is for --once reports") }
    if check && json { throw ValidationError("--check prints one status line, not JSON") }
    if !(0...1000).contains(top) { throw ValidationError("--top must be between 0 and 1000, got \(top)") }
  }
}
