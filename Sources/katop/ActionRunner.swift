// The flow of `katop set-keepalive` / `katop kill`: refuse early (--readonly, capabilities,
// ptrace rights) with one line, collect, select, print the plan, then act only with --yes,
// write every change to syslog, and report per socket (text or --json).
//
// KATOP_TEST_ACTION_DELAY_MS=N (for tests only, docs/actions.md): waits N ms between printing the plan
// and the action, so a test can make an owner exit mid-action.
import ArgumentParser
import FoundationEssentials
import Glibc
import KatopModel
import SockDiag

/// A refusal or a partial failure: one line on stderr, exit status 1.
struct ActionFailure: Error, CustomStringConvertible {
  var description: String
  init(_ text: String) { description = text }
}

enum ActionExecutor {
  /// Carries out `plan` socket by socket, logging each result; the kernel decides, katop reports.
  static func execute(_ plan: ActionPlan, log: ActionLog) -> [ActionResult] {
    var terminator: SocketTerminator?
    var openFailure: String?
    if plan.kind == .kill {
      do { terminator = try SocketTerminator() } catch { openFailure = "\(error)" }
    }
    var results: [ActionResult] = []
    results.reserveCapacity(plan.items.count)
    for item in plan.items {
      let c = item.connection
      let outcome: ActionOutcome
      switch plan.kind {
      case .setKeepalive:
        if let change = item.change, let owner = c.owner {
          outcome = LiveSocket.setKeepalive(change, owner: owner, inode: c.record.inode)
        } else {
          outcome = .failed(reason: "no owner known", before: nil)
        }
      case .kill:
        outcome = terminator?.end(c) ?? .failed(reason: openFailure ?? "no sock_diag socket", before: nil)
      }
      let result = ActionResult(item: item, outcome: outcome)
      log.record(plan.kind, result)
      results.append(result)
    }
    return results
  }
}

struct ActionRunner {
  let options: ActionOptions
  let kind: ActionKind

  var noun: String { kind == .kill ? "connections" : "sockets" }

  func run(change: (Connection) -> KeepaliveChange?) throws {
    if options.readonly { throw ActionFailure("\(kind.rawValue) refused: --readonly allows no action") }
    let permissions = ActionPermissions.current()
    if kind == .kill, let why = permissions.refusalToKill { throw ActionFailure(why) }
    // The uids of the named pids, read from /proc: a refusal names them even where their
    // sockets are hidden from katop.
    var uids: [Int32: UInt32] = [:]
    for pid in options.pid { uids[pid] = ActionPermissions.processUID(pid) }
    // (The plan's owners are checked again below, once they are known.)
    if kind == .setKeepalive, let why = permissions.refusalToSetKeepalive(ownerUIDs: uids) { throw ActionFailure(why) }

    let collector = Collector()
    collector.keepsCaches = false
    let snapshot = try collector.collect(options.request)
    let selection = options.selection
    let me = getpid()
    var selected = Analyzer.analyze(snapshot, profile: options.chosenProfile).filter {
      selection.matches($0, for: kind) && $0.owner?.pid != me
    }
    selected.sort { ($0.owner?.pid ?? 0, $0.owner?.fd ?? 0, $0.record.cookie) < ($1.owner?.pid ?? 0, $1.owner?.fd ?? 0, $1.record.cookie) }
    let plan = ActionPlan(kind: kind, connections: selected, change: change)
    if let why = ActionExecutor.refusal(for: plan, permissions: permissions) { throw ActionFailure(why) }

    if plan.items.isEmpty || options.dryRun {
      let planned = plan.items.map { ActionResult(item: $0, outcome: .planned) }
      report(plan, planned, dryRun: true)
      if !options.json { print(plan.items.isEmpty ? "no \(noun) selected: nothing to do" : "dry run: nothing changed") }
      return
    }
    guard options.yes else {
      if !options.json { report(plan, plan.items.map { ActionResult(item: $0, outcome: .planned) }, dryRun: true) }
      throw ValidationError("nothing changed: add --yes to apply the plan, or --dry-run")
    }
    if !options.json {
      print("plan: \(plan.summary)")
      fflush(nil)  // every stream: stdout is a C global Swift 6 will not name
    }
    if let delay = ProcessInfo.processInfo.environment["KATOP_TEST_ACTION_DELAY_MS"].flatMap(UInt32.init) {
      usleep(min(delay, 10_000) * 1000)
    }
    let results = ActionExecutor.execute(plan, log: ActionLog.fromEnvironment())
    report(plan, results, dryRun: false, header: false)
    let (ok, failed) = ActionReport.counts(results)
    if !options.json { print("\(ok) of \(results.count) \(noun) \(kind == .kill ? "ended" : "changed")") }
    if failed > 0 { throw ActionFailure("\(failed) of \(results.count) \(noun) not \(kind == .kill ? "ended" : "changed")") }
  }

  func report(_ plan: ActionPlan, _ results: [ActionResult], dryRun: Bool, header: Bool = true) {
    if options.json {
      print(ActionReport.json(kind: kind, dryRun: dryRun, results: results), terminator: "")
      return
    }
    if header && !plan.items.isEmpty { print("plan: \(plan.summary)") }
    for r in results { print("  " + ActionReport.line(r)) }
  }
}
