// Filters on who holds a connection and what is wrong with it, for the TUI and --once (the TUI's
// u, o and ~ keys change them afterwards; docs/keys.md).
import ArgumentParser
import KatopModel

struct OwnerFilterOptions: ParsableArguments {
  @Option(name: .long, help: ArgumentHelp("Only connections of this process (repeatable).", valueName: "pid"), transform: parsePid)
  var pid: [Int32] = []

  @Option(name: .long, help: ArgumentHelp("Only connections of processes of this user: a name or a uid (repeatable).", valueName: "user"))
  var user: [String] = []

  @Option(name: .long, help: ArgumentHelp("Only connections of processes with this exact name (/proc/PID/comm; repeatable).", valueName: "name"))
  var command: [String] = []

  @Option(name: .long, help: ArgumentHelp("Only connections with this risk, e.g. no-keepalive (repeatable).", valueName: "id"), transform: parseRiskID)
  var risk: [RiskRule] = []

  @Flag(help: "Invert the owner, risk, text and --risky filters: show what they leave out (ports and states still apply).")
  var invert = false

  /// Adds these filters to `filter`.
  func apply(to filter: inout ConnectionFilter) {
    filter.pids = pid
    filter.users = user
    filter.commands = command
    filter.riskIDs = risk
    filter.inverted = invert
  }
}
