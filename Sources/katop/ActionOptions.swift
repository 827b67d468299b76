// Options shared by `katop set-keepalive` and `katop kill`: which connections (the filters used
// everywhere), the middlebox budget, and the safety switches.
import ArgumentParser
import KatopModel

struct ActionOptions: ParsableArguments {
  @Option(
    name: .long, help: ArgumentHelp("Connections with this local or remote port (repeatable, or comma-separated).", valueName: "port"),
    transform: parsePorts)
  var port: [[UInt16]] = []

  @Option(name: .long, help: ArgumentHelp("Connections of this process (repeatable).", valueName: "pid"), transform: parsePid)
  var pid: [Int32] = []

  @Option(name: .long, help: ArgumentHelp("Connections of processes with this exact name (/proc/PID/comm; repeatable).", valueName: "name"))
  var command: [String] = []

  @Option(name: .long, help: ArgumentHelp("Connections in this state (repeatable; default: every connected state).", valueName: "state"), transform: parseState)
  var state: [TCPState] = []

  @Flag(help: "Connections with at least one risk.")
  var risky = false

  @Option(name: .long, help: ArgumentHelp("Connections with this risk id, e.g. no-keepalive (repeatable).", valueName: "id"), transform: parseRiskID)
  var risk: [RiskRule] = []

  @Option(name: .long, help: ArgumentHelp("Connections whose remote address is in this network, e.g. 192.0.2.0/24 (repeatable).", valueName: "cidr"), transform: parseCIDR)
  var remote: [CIDR] = []

  @Option(name: .customLong("idle-over"), help: ArgumentHelp("Connections idle at least this long (as the keepalive timer sees it).", valueName: "seconds"), transform: parseIdleOver)
  var idleOver: UInt64?

  @Option(help: ArgumentHelp("Middlebox profile for the risks and the recommended values (default aws).", valueName: "name"), transform: parseProfile)
  var profile: MiddleboxProfile?

  @Option(name: .customLong("idle-timeout"), parsing: .unconditional, help: ArgumentHelp("Middlebox idle timeout in seconds (overrides --profile).", valueName: "seconds"), transform: parseIdleTimeout)
  var idleTimeout: Int?

  @Flag(help: "Apply the plan (without it, katop prints the plan and changes nothing).")
  var yes = false

  @Flag(name: .customLong("dry-run"), help: "Print the plan and change nothing.")
  var dryRun = false

  @Flag(help: "Print the per-socket results as one JSON document.")
  var json = false

  @Flag(help: "Refuse every action (the same switch as the TUI's --readonly).")
  var readonly = false

  var selection: ActionSelection {
    var seen = Set<UInt16>()
    let ports = port.joined().filter { seen.insert($0).inserted }
    return ActionSelection(
      filter: ConnectionFilter(ports: ports, states: Set(state), riskyOnly: risky), pids: Set(pid),
      commands: Set(command), riskIDs: Set(risk), remotes: remote, idleOverMs: idleOver.map { $0 * 1000 })
  }

  var chosenProfile: MiddleboxProfile {
    if let s = idleTimeout { return .custom(seconds: s) }
    return profile ?? .aws
  }

  /// What to collect: the kernel filters the ports; states and the rest are filtered after.
  var request: CollectRequest {
    CollectRequest(ports: selection.filter.ports, owners: true, socketOptions: true)
  }

  func validate() throws {
    if yes && dryRun { throw ValidationError("--yes and --dry-run contradict each other: pick one") }
    if selection.selectsEverything {
      throw ValidationError("name the connections to act on (--port, --pid, --command, --state, --risky, --risk, --remote or --idle-over)")
    }
  }
}

func parsePid(_ text: String) throws -> Int32 {
  guard let v = Int32(text), v > 0 else { throw ValidationError("'\(text)' is not a process id") }
  return v
}

func parseRiskID(_ text: String) throws -> RiskRule {
  guard let rule = RiskRule(rawValue: text) else {
    let ids = RiskRule.allCases.map(\.rawValue)
    throw ValidationError("unknown risk id '\(text)' (one of: \(ids.joined(separator: ", ")))")
  }
  return rule
}

func parseCIDR(_ text: String) throws -> CIDR {
  guard let cidr = CIDR(text) else {
    throw ValidationError("'\(text)' is not an address or network (e.g. 192.0.2.0/24, 2001:db8::/32)")
  }
  return cidr
}

/// `--idle-over SECONDS`: 0 to 30 days, whole seconds.
func parseIdleOver(_ text: String) throws -> UInt64 {
  guard let v = UInt64(text), v <= 2_592_000 else {
    throw ValidationError("'\(text)' is not a number of seconds between 0 and 2592000")
  }
  return v
}

/// A positive whole number within `range` (keepalive values).
func parseBounded(_ text: String, _ range: ClosedRange<Int>, _ unit: String) throws -> Int {
  guard let v = Int(text), range.contains(v) else {
    throw ValidationError("'\(text)' is not \(unit) between \(range.lowerBound) and \(range.upperBound)")
  }
  return v
}
