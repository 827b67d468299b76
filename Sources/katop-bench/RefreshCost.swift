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
  /// Merging a warm collection into the TUI's store (keepalive maths, risks of changed rows).
  var mergeMs: Double
  /// Sorting the store's slots by risk (the view).
  var sortMs: Double
  /// Grouping the sorted view by process (the TUI's `g`): totals, keepalive, risk, the soonest
  /// cut against the aws budget and the largest idle of each group.
  var groupMs: Double
  /// Refreshing 40 rows (a screen) by exact lookups instead.
  var lookupMs: Double
  var total: Double { collectMs + mergeMs + sortMs }
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
  var store = ConnectionStore()
  store.merge(try collector.collect(CollectRequest()), coverage: .complete, nowMs: 0)  // cold: the caches fill
  var collects: [Double] = [], merges: [Double] = [], sorts: [Double] = [], groupings: [Double] = [], lookups: [Double] = []
  for run in 0..<runs {
    usleep(useconds_t(spacingSeconds * 1_000_000))
    let (snapshot, collectMs) = try timed { try collector.collect(CollectRequest()) }
    merges.append(timed { store.merge(snapshot, coverage: .complete, nowMs: UInt64(run + 1) * 1000) }.1)
    let order = SortOrder(column: .risk, descending: true)
    let slots = store.occupiedSlots
    let (view, sortMs) = timed { order.order(slots, of: store.rows) }
    sorts.append(sortMs)
    // As the TUI does: the store rows' watched entries give each flow's idle.
    let flow = FlowContext(profile: .aws)
    let rows = store.rows
    groupings.append(timed { rows.withUnsafeBufferPointer { Grouping.groups(by: .process, slots: view, of: $0, flow: flow, listening: []) } }.1)
    collects.append(collectMs)
    var screen = CollectRequest(owners: false, socketOptions: false)
    screen.lookUp = Array(snapshot.sockets.filter { $0.state == .established }.prefix(40))
    lookups.append(try timed { try collector.collect(screen) }.1)
  }
  return RefreshCost(
    dumpMs: median(dumps), collectMs: median(collects), mergeMs: median(merges), sortMs: median(sorts),
    groupMs: median(groupings), lookupMs: median(lookups))
}
