// katop-bench: katop side by side with ss on the same loopback sockets (docs/performance.md).
//   katop-bench [--connections N] [--small N] [--runs R] [--tui-seconds S] [--no-tui]
import Foundation
import Glibc

struct Options {
  var connections = 50_000
  var small = 50
  var runs = 5
  var tuiSeconds = 10.0
  var tui = true
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
    case "-h", "--help":
      print("usage: katop-bench [--connections N (50000)] [--small N (50)] [--runs R (5)] [--tui-seconds S (10)] [--no-tui]")
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

@MainActor func compare(_ name: String, _ katopArgs: [String], _ ssArgs: [String], target: Double) {
  do {
    let k = try measureRuns([katop] + katopArgs, runs: options.runs)
    let s = try measureRuns([ss] + ssArgs, runs: options.runs)
    let ratio = k.wall / s.wall
    let ok = k.status == 0 && ratio <= target
    rows.append(Row(measure: name + " (wall s)", katop: f2(k.wall), other: f2(s.wall), ratio: f2(ratio), target: "<= \(target)", met: k.status == 0 ? (ok ? "yes" : "NO") : "FAILED"))
    rows.append(Row(measure: "  peak RSS (MiB)", katop: String(format: "%.1f", k.rssMiB), other: String(format: "%.1f", s.rssMiB), ratio: "", target: "<= 100", met: k.rssMiB <= 100 ? "yes" : "NO"))
  } catch {
    rows.append(Row(measure: name, katop: "error: \(error)", other: "", ratio: "", target: "", met: "FAILED"))
  }
}

compare("katop --once --json vs ss -tinoap", ["--once", "--json"], ["-tinoap"], target: 0.15)
compare("katop --once --json --no-owners vs ss -tinoa", ["--once", "--json", "--no-owners"], ["-tinoa"], target: 0.5)
compare("katop --once --json --port P vs ss -tinoap filter", ["--once", "--json", "--port", "\(smallPort)"], ["-tinoap", portFilter], target: 0.25)

// In-process decomposition of one full-table refresh: why the full TUI costs what it costs.
do {
  let cost = try measureRefreshCost(runs: options.runs)
  func ms(_ x: Double) -> String { String(format: "%.1f", x) }
  rows.append(Row(measure: "one full refresh in-process (CPU ms, medians)", katop: ms(cost.total), other: "", ratio: "", target: "<= 150", met: cost.total <= 150 ? "yes" : "NO"))
  rows.append(Row(measure: "  sock_diag dump + parse alone (the floor)", katop: ms(cost.dumpMs), other: "", ratio: "", target: "", met: ""))
  rows.append(Row(measure: "  collect with warm owner/settings caches", katop: ms(cost.collectMs), other: "", ratio: "", target: "", met: ""))
  rows.append(Row(measure: "  analyse (keepalive maths, risks)", katop: ms(cost.analyzeMs), other: "", ratio: "", target: "", met: ""))
  rows.append(Row(measure: "  sort by risk", katop: ms(cost.sortMs), other: "", ratio: "", target: "", met: ""))
} catch {
  rows.append(Row(measure: "one full refresh in-process", katop: "error: \(error)", other: "", ratio: "", target: "", met: "FAILED"))
}

if options.tui {
  for (label, args, target) in [("TUI, full table, 1 s interval", [String](), 15.0), ("TUI, --port P (~\(options.small) connections)", ["--port", "\(smallPort)"], 3.0)] {
    do {
      let t = try measureTUI([katop] + args, marker: "ESTAB", seconds: options.tuiSeconds)
      rows.append(Row(measure: label + ": CPU % of one core", katop: String(format: "%.1f", t.cpuPercent), other: "", ratio: "", target: "<= \(target)", met: t.cpuPercent <= target ? "yes" : "NO"))
      // Counted from the outside (docs/performance.md): one expected per second at a 1 s interval.
      let seconds = Int(options.tuiSeconds)
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
    }
  }
}

print("katop-bench: \(sockets) TCP sockets (\(options.connections) connections + \(options.small) on port \(smallPort), half with keepalive), medians of \(options.runs) runs, uid \(getuid())")
let header = Row(measure: "measure", katop: "katop", other: "ss", ratio: "ratio", target: "target", met: "met")
let all = [header] + rows
func widest(_ key: (Row) -> String) -> Int { all.map { key($0).count }.max() ?? 0 }
let w: [Int] = [widest(\.measure), widest(\.katop), widest(\.other), widest(\.ratio), widest(\.target)]
func pad(_ s: String, _ n: Int) -> String { s + String(repeating: " ", count: max(0, n - s.count)) }
for r in all {
  print("| " + [pad(r.measure, w[0]), pad(r.katop, w[1]), pad(r.other, w[2]), pad(r.ratio, w[3]), pad(r.target, w[4]), r.met].joined(separator: " | ") + " |")
}
