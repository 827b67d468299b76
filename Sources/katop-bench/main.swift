// katop-bench: katop side by side with ss on the same loopback sockets (docs/performance.md).
//   katop-bench [--connections N] [--small N] [--runs R] [--tui-seconds S] [--no-tui] [--swift-test DIR]
//   katop-bench --memory [--connections N]: only the TUI's heap, step by step (MemoryProbe.swift)
// The first table is the engine targets (docs/performance.md); the detail rows follow.
import Foundation
import Glibc

struct Options {
  var connections = 50_000
  var small = 50
  var runs = 5
  var tuiSeconds = 10.0
  var tui = true
  /// A package directory whose `swift test` is timed while the sockets are open (nil: skipped).
  var swiftTestDir: String?
  /// Only the heap probe (MemoryProbe.swift), then exit.
  var memoryOnly = false
}

func parseOptions() -> Options {
  var o = Options()
  var args = CommandLine.arguments.dropFirst()
  func value(_ name: String) -> String {
    guard let v = args.popFirst() else {
      FileHandle.standardError.write(Data("katop-bench: \(name) needs a value\n".utf8))
      exit(64)
    }
    return v
  }
  while let a = args.popFirst() {
    switch a {
    case "--connections": o.connections = Int(value(a)) ?? -1
    case "--small": o.small = Int(value(a)) ?? -1
    case "--runs": o.runs = Int(value(a)) ?? -1
    case "--tui-seconds": o.tuiSeconds = Double(value(a)) ?? -1
    case "--no-tui": o.tui = false
    case "--memory": o.memoryOnly = true
    case "--swift-test": o.swiftTestDir = value(a)
    case "-h", "--help":
      print("usage: katop-bench [--connections N (50000)] [--small N (50)] [--runs R (5)] [--tui-seconds S (10)] [--no-tui] [--swift-test DIR] [--memory]")
      exit(0)
    default:
      FileHandle.standardError.write(Data("katop-bench: unknown option \(a)\n".utf8))
      exit(64)
    }
  }
  if o.connections < 1 || o.small < 1 || o.runs < 1 || !(o.tuiSeconds > 0) {
    FileHandle.standardError.write(Data("katop-bench: counts and durations must be positive\n".utf8))
    exit(64)
  }
  return o
}

let options = parseOptions()
let dir = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]).deletingLastPathComponent()
let katop = dir.appendingPathComponent("katop").path
let fixtureBinary = dir.appendingPathComponent("katop-fixture").path
guard let ss = ["/usr/bin/ss", "/bin/ss", "/sbin/ss", "/usr/sbin/ss"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
  FileHandle.standardError.write(Data("katop-bench: ss not found (apt-get install iproute2)\n".utf8))
  exit(1)
}

FileHandle.standardError.write(Data("katop-bench: opening \(options.connections) + \(options.small) loopback connections\n".utf8))
let fixtures: [Fixture]
do {
  fixtures = try openConnections(binary: fixtureBinary, connections: options.connections, small: options.small)
} catch {
  FileHandle.standardError.write(Data("katop-bench: \(error)\n".utf8))
  exit(1)
}
signal(SIGINT) { _ in exit(130) }
defer { for f in fixtures { f.stop() } }
let smallPort = fixtures[fixtures.count - 1].port
let sockets = countSockets()
let portFilter = "( sport = :\(smallPort) or dport = :\(smallPort) )"

if options.memoryOnly {
  print("katop-bench --memory: \(sockets) TCP sockets, heap in use (MiB) after each step of the TUI's data flow")
  do {
    for (step, mib) in try probeMemory() { print(String(format: "%7.1f  ", mib) + step) }
  } catch {
    print("katop-bench: memory probe failed: \(error)")
  }
  for f in fixtures { f.stop() }
  exit(0)
}

struct Row {
  var measure: String
  var katop: String
  var other: String
  var ratio: String
  var target: String
  var met: String
}
var rows: [Row] = []
func f2(_ x: Double) -> String { x.isNaN ? "-" : String(format: "%.3f", x) }

/// The engine targets of docs/performance.md, filled in as the measures come.
var targets: [Row] = []
@MainActor func addTarget(_ measure: String, _ value: String, _ goal: String, _ met: Bool?) {
  targets.append(Row(measure: measure, katop: value, other: "", ratio: "", target: goal, met: met.map { $0 ? "yes" : "NO" } ?? "FAILED"))
}

@MainActor func compare(_ name: String, _ katopArgs: [String], _ ssArgs: [String], target: Double) {
  do {
    let k = try measureRuns([katop] + katopArgs, runs: options.runs)
    let s = try measureRuns([ss] + ssArgs, runs: options.runs)
    let ratio = k.wall / s.wall
    if katopArgs == ["--once", "--json"] {
      addTarget("--once --json / ss -tinoap (wall ratio)", f2(ratio), "<= \(target)", k.status == 0 ? ratio <= target : nil)
    }
    let ok = k.status == 0 && ratio <= target
    rows.append(Row(measure: name + " (wall s)", katop: f2(k.wall), other: f2(s.wall), ratio: f2(ratio), target: "<= \(target)", met: k.status == 0 ? (ok ? "yes" : "NO") : "FAILED"))
    rows.append(Row(measure: "  peak RSS (MiB)", katop: String(format: "%.1f", k.rssMiB), other: String(format: "%.1f", s.rssMiB), ratio: "", target: "<= 100", met: k.rssMiB <= 100 ? "yes" : "NO"))
  } catch {
    rows.append(Row(measure: name, katop: "error: \(error)", other: "", ratio: "", target: "", met: "FAILED"))
  }
}

compare("katop --once --json vs ss -tinoap", ["--once", "--json"], ["-tinoap"], target: 0.12)
compare("katop --once --json --no-owners vs ss -tinoa", ["--once", "--json", "--no-owners"], ["-tinoa"], target: 0.5)
compare("katop --once --json --port P vs ss -tinoap filter", ["--once", "--json", "--port", "\(smallPort)"], ["-tinoap", portFilter], target: 0.25)

// In-process decomposition of one full-table refresh: why the full TUI costs what it costs.
do {
  let cost = try measureRefreshCost(runs: options.runs)
  func ms(_ x: Double) -> String { String(format: "%.1f", x) }
  rows.append(Row(measure: "one full refresh in-process (CPU ms, medians)", katop: ms(cost.total), other: "", ratio: "", target: "<= 150", met: cost.total <= 150 ? "yes" : "NO"))
  rows.append(Row(measure: "  sock_diag dump + parse alone (the floor)", katop: ms(cost.dumpMs), other: "", ratio: "", target: "", met: ""))
  rows.append(Row(measure: "  collect with warm owner/settings caches", katop: ms(cost.collectMs), other: "", ratio: "", target: "", met: ""))
  rows.append(Row(measure: "  merge into the store (changed rows analysed)", katop: ms(cost.mergeMs), other: "", ratio: "", target: "", met: ""))
  rows.append(Row(measure: "  sort the view by risk", katop: ms(cost.sortMs), other: "", ratio: "", target: "", met: ""))
  let groupShare = cost.total > 0 ? cost.groupMs / cost.total * 100 : 0
  rows.append(Row(
    measure: "  group the view by process (% of the refresh)", katop: ms(cost.groupMs), other: "", ratio: String(format: "%.1f%%", groupShare),
    target: "<= 10%", met: groupShare <= 10 ? "yes" : "NO"))
  rows.append(Row(measure: "  instead: 40 rows on screen by lookups", katop: ms(cost.lookupMs), other: "", ratio: "", target: "", met: ""))
} catch {
  rows.append(Row(measure: "one full refresh in-process", katop: "error: \(error)", other: "", ratio: "", target: "", met: "FAILED"))
}

if options.tui {
  for (label, args, target) in [("TUI, full table, 1 s interval", ["--interval", "1"], 15.0), ("TUI, --port P (~\(options.small) connections)", ["--interval", "1", "--port", "\(smallPort)"], 1.5)] {
    let full = args.count == 2
    do {
      let t = try measureTUI([katop] + args, marker: "ESTAB", seconds: options.tuiSeconds)
      let seconds = Int(options.tuiSeconds)
      if full {
        targets.append(Row(
          measure: "TUI full table: screen updates in \(seconds) s at --interval 1", katop: "\(t.refreshes)", other: "", ratio: "",
          target: ">= \(max(1, seconds - 1))", met: t.refreshes >= max(1, seconds - 1) ? "yes" : "NO"))
        addTarget("TUI full table CPU (% of one core, 1 s)", String(format: "%.1f", t.cpuPercent), "<= 15", t.cpuPercent <= 15)
        addTarget("TUI peak RSS (MiB, full table)", String(format: "%.1f", t.peakRSSMiB), "<= 80", t.peakRSSMiB <= 80)
      } else {
        addTarget("TUI filtered to ~\(options.small) connections (CPU %)", String(format: "%.1f", t.cpuPercent), "<= 1.5", t.cpuPercent <= 1.5)
      }
      rows.append(Row(measure: label + ": CPU % of one core", katop: String(format: "%.1f", t.cpuPercent), other: "", ratio: "", target: "<= \(target)", met: t.cpuPercent <= target ? "yes" : "NO"))
      // Counted from the outside (docs/performance.md): one expected per second at a 1 s interval.
      rows.append(Row(
        measure: "  refreshes seen in \(seconds) s (screen updates)", katop: "\(t.refreshes)", other: "", ratio: "",
        target: ">= \(max(1, seconds - 1))", met: t.refreshes >= max(1, seconds - 1) ? "yes" : "NO"))
      rows.append(Row(
        measure: "  of which costly (CPU bursts >= 20 ms)", katop: "\(t.costlyRefreshes)", other: "", ratio: "", target: "", met: ""))
      if !t.refreshIntervalSeconds.isNaN {
        rows.append(Row(
          measure: "  mean refresh spacing (s)", katop: f2(t.refreshIntervalSeconds), other: "", ratio: "", target: "1.0",
          met: t.refreshIntervalSeconds <= 1.15 ? "yes" : "NO"))
      }
      rows.append(Row(measure: "  first frame (s)", katop: f2(t.firstFrameSeconds), other: "", ratio: "", target: "< 0.5", met: t.firstFrameSeconds < 0.5 ? "yes" : "NO"))
      rows.append(Row(measure: "  peak RSS (MiB)", katop: String(format: "%.1f", t.peakRSSMiB), other: "", ratio: "", target: "<= 100", met: t.peakRSSMiB <= 100 ? "yes" : "NO"))
    } catch {
      rows.append(Row(measure: label, katop: "error: \(error)", other: "", ratio: "", target: "", met: "FAILED"))
      addTarget(label, "error", "", nil)
    }
  }
}

// `swift test` of a checkout while every socket above is still open: the suite must pass on a
// busy host, and take no longer than the 4-5 min it took on an idle one.
if let testDir = options.swiftTestDir {
  let log = "/tmp/katop-bench-swift-test-\(getpid()).log"
  FileHandle.standardError.write(Data("katop-bench: swift test in \(testDir) (log \(log))\n".utf8))
  do {
    let m = try measure(["/bin/sh", "-c", "cd \"$0\" && exec swift test >\"$1\" 2>&1", testDir, log])
    let passed = m.status == 0
    addTarget("swift test wall (s), under this load\(passed ? "" : ": FAILED, see " + log)", String(format: "%.0f", m.wallSeconds), "<= 300", passed ? m.wallSeconds <= 300 : nil)
  } catch {
    addTarget("swift test", "error: \(error)", "", nil)
  }
}

func printTable(_ table: [Row], header: Row) {
  let all = [header] + table
  func widest(_ key: (Row) -> String) -> Int { all.map { key($0).count }.max() ?? 0 }
  let w: [Int] = [widest(\.measure), widest(\.katop), widest(\.other), widest(\.ratio), widest(\.target)]
  func pad(_ s: String, _ n: Int) -> String { s + String(repeating: " ", count: max(0, n - s.count)) }
  for r in all {
    print("| " + [pad(r.measure, w[0]), pad(r.katop, w[1]), pad(r.other, w[2]), pad(r.ratio, w[3]), pad(r.target, w[4]), r.met].joined(separator: " | ") + " |")
  }
}

print("katop-bench: \(sockets) TCP sockets (\(options.connections) connections + \(options.small) on port \(smallPort), half with keepalive 300-900/30/5), medians of \(options.runs) runs, uid \(getuid())")
printTable(targets, header: Row(measure: "engine target", katop: "katop", other: "", ratio: "", target: "target", met: "met"))
print("")
printTable(rows, header: Row(measure: "measure", katop: "katop", other: "ss", ratio: "ratio", target: "target", met: "met"))
