// `katop set-keepalive` and `katop kill`: subcommands of the root command, which keeps its own
// options and run().
import ArgumentParser
import KatopModel

struct SetKeepaliveCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "set-keepalive",
    abstract: "Turn keepalive on in live sockets of running processes (pidfd_getfd + setsockopt), no restart.",
    discussion: "Values default to the recommendation for the middlebox budget (--profile / --idle-timeout); name any of "
      + "--idle, --interval, --count to override it. Needs ptrace rights over the owners (root / CAP_SYS_PTRACE). "
      + "Every change goes to syslog (facility auth). Exit status: 0 every selected socket changed, 1 some not, 64 bad input.\n\n"
      + "Examples:\n  katop set-keepalive --port 5432 --dry-run\n  katop set-keepalive --command php-fpm --idle 300 --interval 30 --count 5 --yes")

  @OptionGroup var options: ActionOptions

  @Option(help: ArgumentHelp("TCP_KEEPIDLE: seconds of idleness before the first probe (1-32767).", valueName: "seconds"),
          transform: { try parseBounded($0, KeepaliveChange.idleRange, "a number of seconds") })
  var idle: Int?

  @Option(help: ArgumentHelp("TCP_KEEPINTVL: seconds between probes (1-32767).", valueName: "seconds"),
          transform: { try parseBounded($0, KeepaliveChange.intervalRange, "a number of seconds") })
  var interval: Int?

  @Option(help: ArgumentHelp("TCP_KEEPCNT: unanswered probes before the connection is dropped (1-127).", valueName: "probes"),
          transform: { try parseBounded($0, KeepaliveChange.probesRange, "a probe count") })
  var count: Int?

  @Option(name: .customLong("user-timeout"), help: ArgumentHelp("TCP_USER_TIMEOUT in ms (0 = off); left as it is unless named.", valueName: "ms"),
          transform: { try parseBounded($0, KeepaliveChange.userTimeoutRange, "a number of milliseconds") })
  var userTimeout: Int?

  /// The values for one connection: the recommendation for its budget, overridden by the options.
  func change(for connection: Connection, profile: MiddleboxProfile) -> KeepaliveChange {
    let r = FixAdvisor.recommended(for: profile)
    return KeepaliveChange(
      idleSeconds: idle ?? r.idleSeconds, intervalSeconds: interval ?? r.intervalSeconds, probes: count ?? r.probes,
      userTimeoutMs: userTimeout)
  }

  func run() throws {
    let profile = options.chosenProfile
    try ActionRunner(options: options, kind: .setKeepalive).run { change(for: $0, profile: profile) }
  }
}

struct KillCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "kill",
    abstract: "End connections: sock_diag SOCK_DESTROY (RST; the owner gets ECONNABORTED), shutdown() where the kernel lacks it.",
    discussion: "Needs CAP_NET_ADMIN. Listeners and TIME_WAIT entries are only touched when --state names them. Every "
      + "connection ended goes to syslog (facility auth). Exit status: 0 every selected connection ended, 1 some not, 64 bad input.\n\n"
      + "Examples:\n  katop kill --idle-over 86400 --port 3306 --dry-run\n  katop kill --state close-wait --command java --yes")

  @OptionGroup var options: ActionOptions

  func run() throws {
    try ActionRunner(options: options, kind: .kill).run { _ in nil }
  }
}
