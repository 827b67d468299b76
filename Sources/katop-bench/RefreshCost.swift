// What one TUI refresh of the whole table costs, measured in this process with katop's own
// modules (docs/performance.md): the kernel's dump alone sets the floor for the full-table TUI.
import Glibc
import KatopModel
import SockDiag

struct RefreshCost {
  /// sock_diag dump + parse of every socket, nothing else (CPU ms, median).
  var dumpMs: Double
  /// The same collection with owners and socket settings from warm caches, 1 s apart like the TUI.
  var collectMs: Double
  var analyzeMs: Double
  var sortMs: Double
  var total: Double { collectMs + analyzeMs + sortMs }
}

/// CPU time (user + system) of this process so far, in ms.
func processCPUMs() -> Double { Clocks.seconds(CLOCK_PROCESS_CPUTIME_ID) * 1000 }

/// `runs` bare dumps, then one cold full collection and `runs` warm ones spaced `spacingSeconds`.
func measureRefreshCost(runs: Int, spacingSeconds: Double = 1) throws -> RefreshCost {
  func timed<T>(_ body: () throws -> T) rethrows -> (T, Double) {
    let start = processCPUMs()
    let value = try body()
    return (value, processCPUMs() - start)
  }
  let bare = Collector()
  bare.keepsCaches = false
  var dumps: [Double] = []
  for _ in 0..<runs {
    dumps.append(try timed { try bare.collect(CollectRequest(owners: false, socketOptions: false)) }.1)
  }
  let collector = Collector()
  _ = try collector.collect(CollectRequest())  // cold: the caches fill
  var collects: [Double] = [], analyses: [Double] = [], sorts: [Double] = []
  for _ in 0..<runs {
    usleep(useconds_t(spacingSeconds * 1_000_000))
    let (snapshot, collectMs) = try timed { try collector.collect(CollectRequest()) }
    var (rows, analyzeMs) = timed { Analyzer.analyze(snapshot, profile: .aws) }
    let order = SortOrder(column: .risk, descending: true)
    sorts.append(timed { order.sort(&rows) }.1)
    collects.append(collectMs)
    analyses.append(analyzeMs)
  }
  return RefreshCost(dumpMs: median(dumps), collectMs: median(collects), analyzeMs: median(analyses), sortMs: median(sorts))
}
