// The katop command: parses options, then runs the one-shot report or the TUI.
import ArgumentParser
import Glibc
import KatopModel
import KatopTerminal
import KatopUI
import SockDiag

@main
struct Katop: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "katop",
    abstract: "Live view of TCP connections, their keepalive timers and settings, and which ones a middlebox will cut.",
    discussion: "Without --once, katop opens a full-screen table (press ? for keys). Port filters run in the kernel (sock_diag bytecode). "
      + "Run as root to read each socket's own keepalive settings (pidfd_getfd + getsockopt); otherwise they are assumed from the "
      + "tcp_keepalive_* sysctls and marked with *.\n\n"
      + "Risk profiles (idle timeouts): \(MiddleboxProfile.all.map { "\($0.name) \($0.idleTimeoutSeconds)s" }.joined(separator: ", ")).\n\n"
      + "Examples:\n  katop --port 3306 --risky\n  katop --once --json --profile azure\n  katop --once --state close-wait\n"
      + "  katop --check -p 3306\n  katop export --textfile /var/lib/prometheus/node-exporter\n\n"
      + "Settings not given as flags come from /etc/katop/config, then ~/.config/katop/config ($XDG_CONFIG_HOME); "
      + "katop --print-config shows them. Themes: ~/.config/katop/themes, <prefix>/share/katop/themes.\n\n"
      + "Exit status: 0 success, 1 runtime error, 64 usage error, 74 output error, 78 config file error; "
      + "--check: 0 OK, 1 warning, 2 critical, 3 unknown (bad arguments and config included).",
    version: "katop \(Katop.version)",
    subcommands: [ExportCommand.self, LogCommand.self] + actionCommands)

  static let version = "0.1.0"

  @Flag(name: [.customShort("1"), .long], help: "Print one snapshot as a table and exit (like top -b -n 1).")
  var once = false

  @Flag(name: [.customShort("j"), .long], help: "With --once: print one JSON document instead of the table (docs/json.md).")
  var json = false

  @Option(
    name: [.customShort("p"), .long], help: ArgumentHelp("Only sockets with this local or remote port (repeatable, or comma-separated).", valueName: "port"),
    transform: parsePorts)
  var port: [[UInt16]] = []

  @Option(name: .long, help: ArgumentHelp("Only sockets in this state, e.g. established, close-wait (repeatable).", valueName: "state"), transform: parseState)
  var state: [TCPState] = []

  @Flag(help: "Only connections with at least one risk.")
  var risky = false

  @Option(
    help: ArgumentHelp(
      "Middlebox profile for remote addresses no --path names: auto (default: the cloud from DMI, else aws), "
        + MiddleboxProfile.all.map(\.name).joined(separator: ", ") + ".", valueName: "name"),
    transform: parseProfileChoice)
  var profile: ProfileChoice?

  @Option(
    name: .customLong("path"),
    help: ArgumentHelp("Budget for remote addresses in CIDR: a profile name or seconds, e.g. 198.51.100.0/24=20 (repeatable; longest prefix wins).", valueName: "cidr=profile|seconds"),
    transform: parsePathRule)
  var path: [PathRule] = []

  @Option(
    parsing: .unconditional,
    help: ArgumentHelp("With --once: sample twice this many seconds apart, so segments only watching shows (a peer's keepalive probes) count.", valueName: "seconds"),
    transform: parseObserve)
  var observe: Int?

  @Option(name: .customLong("idle-timeout"), parsing: .unconditional, help: ArgumentHelp("Middlebox idle timeout in seconds (overrides --profile).", valueName: "seconds"), transform: parseIdleTimeout)
  var idleTimeout: Int?

  @Option(help: ArgumentHelp("Sort column: \(SortColumn.allCases.map(\.rawValue).joined(separator: ", ")).", valueName: "column"), transform: parseSort)
  var sort: SortColumn?

  @Flag(name: .long, help: "Reverse the sort order.")
  var reverse = false

  @Option(help: ArgumentHelp("Socket source: netlink (default, falls back to proc) or proc.", valueName: "source"), transform: parseSource)
  var source: SocketSource?

  @Flag(name: .customLong("no-owners"), help: "Skip the owner (process) lookup and per-socket settings.")
  var noOwners = false

  @Option(
    name: [.customShort("d"), .long], parsing: .unconditional,
    help: ArgumentHelp("TUI refresh interval in seconds (default 1), like top -d.", valueName: "seconds"), transform: parseInterval)
  var interval: Int?

  @Option(help: ArgumentHelp("TUI colour theme: a name from themes/ or a path to a .theme file.", valueName: "name|path"))
  var theme: String?

  @Flag(name: .customLong("no-color"), help: "TUI without colours (mono theme).")
  var noColor = false

  @Flag(help: "TUI with ASCII only (no UTF-8 glyphs).")
  var ascii = false

  @OptionGroup(title: "Owner and risk filters")
  var ownerFilter: OwnerFilterOptions

  @OptionGroup(title: "View")
  var view: ViewOptions
  @Option(
    help: ArgumentHelp(
      "With --once: the network namespaces to list: all (needs root), an ip netns name, a pid or a path (default: katop's own).",
      valueName: "all|name|pid|path"))
  var netns: String?

  @OptionGroup(title: "Reports for scripts and monitoring")
  var output: OutputOptions

  @Flag(help: "TUI without the actions (K set keepalive, F9 kill, U undo): the keys, the help and the hint bar lose them.")
  var readonly = false

  mutating func validate() throws {
    try output.validate(once: once, json: json)
    if json && !once && !output.summary { throw ValidationError("--json needs --once") }
    if view.group.map({ $0 != .none }) ?? false, once, let format = output.format, format != .json && format != .table {
      throw ValidationError("--group is for the table and JSON, not --format \(format.rawValue)")
    }
    if netns != nil && !once { throw ValidationError("--netns needs --once (the TUI shows katop's own namespace)") }
    if netns != nil && observe != nil { throw ValidationError("--netns and --observe do not go together") }
    if observe != nil && !once && !output.summary && !output.check {
      throw ValidationError("--observe needs --once (the TUI watches every refresh)")
    }
  }

  var ports: [UInt16] {
    var seen = Set<UInt16>()
    return port.joined().filter { seen.insert($0).inserted }
  }

  var chosenProfile: MiddleboxProfile { profileResolution.profile }

  var request: CollectRequest {
    var mask: UInt32 = 0xFFFF_FFFF
    if !state.isEmpty { mask = state.reduce(0) { $0 | $1.mask } }
    return CollectRequest(ports: ports, states: mask, owners: !noOwners, socketOptions: !noOwners)
  }

  var filter: ConnectionFilter {
    var f = ConnectionFilter(ports: ports, states: Set(state), riskyOnly: risky)
    ownerFilter.apply(to: &f)
    return f
  }

  var sortOrder: KatopModel.SortOrder {
    let column = sort ?? .risk
    // Defaults read naturally: worst / longest first for numbers, A-Z for names.
    let descending = [.risk, .idle].contains(column)
    return KatopModel.SortOrder(column: column, descending: reverse ? !descending : descending)
  }

  func run() throws {
    // Settings the command line leaves unset come from the config files (docs/config.md).
    var settings = self
    let origins = try settings.applyConfig(ConfigFile.load(paths: ConfigFile.searchPaths()))
    try settings.runMode(origins: origins)
  }

  func runMode(origins: [String: String]) throws {
    if output.printConfig {
      try StandardOutput.write(effectiveSettings(origins: origins))
    } else if output.check {
      try runCheck()
    } else if output.summary {
      try runSummary()
    } else if once {
      try runOnce()
    } else {
      try runTUI()
    }
  }

  /// One snapshot, analysed against each flow's budget, filtered and sorted; only the system
  /// info is kept from the raw records (they are freed before sorting and writing: peak RSS,
  /// docs/performance.md).
  func collectRows() throws -> OneSnapshot {
    if let netns { return try collectNamespaceRows(netns) }
    let collector = Collector(source: source)
    collector.keepsCaches = false
    collector.splitsDump = true
    var activity = try observeBeforeCollecting(collector)
    var snapshot = try collector.collect(request)
    activity?.observe(snapshot.sockets, nowMs: Clocks.monotonicMs())
    let resolution = profileResolution
    var context = reportContext(resolution, activity: activity)
    context.flow.listeningPorts = FlowContext.listeningPorts(
      snapshot.sockets, listenersCollected: request.states & TCPState.listen.mask != 0)
    if context.kernelHZ == nil, let hz = KernelHZ.fromGranularity(snapshot.sockets) {
      context.kernelHZ = hz
      context.flow.hz = hz.hz
    }
    var rows = Analyzer.analyze(snapshot, profile: resolution.profile, workers: Parallel.workerCount)
    Analyzer.reevaluate(&rows, context: context.flow, system: snapshot.system)
    context.namespaces = Self.ownNamespace(system: snapshot.system, connections: rows.count)
    let system = snapshot.system
    let status = snapshot.status
    snapshot = Snapshot(system: system, sockets: [])
    let filter = self.filter
    if !filter.isEmpty { rows.removeAll { !filter.matches($0) } }
    sortOrder.sort(&rows)
    return OneSnapshot(system: system, status: status, rows: rows, context: context)
  }

  func runOnce() throws {
    let one = try collectRows()
    if let by = view.group, by != .none {
      try runGroupedOnce(one, by: by)
      return
    }
    switch output.format ?? (json ? .json : .table) {
    case .json:
      // Streamed to stdout in 1 MiB chunks: no 100 MB String / Data copies (docs/performance.md).
      var failure: Error?
      JSONReport.render(
        system: one.system, status: one.status, profile: one.profile, connections: one.rows, workers: Parallel.workerCount,
        context: one.context
      ) { chunk in
        if failure == nil {
          do { try StandardOutput.write(chunk) } catch { failure = error }
        }
      }
      if let failure { throw failure }
    case .table:
      try StandardOutput.write(
        TableReport.render(
          system: one.system, status: one.status, profile: one.profile, connections: one.rows, flow: one.context.flow,
          detectedFrom: one.context.detection?.detectedFrom))
      if netns != nil, let map = one.context.namespaces { try StandardOutput.write(Self.namespaceSection(map)) }
    case .prometheus, .openmetrics:
      try runMetrics(one)
    }
  }
}
