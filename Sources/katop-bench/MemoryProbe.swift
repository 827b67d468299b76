// `katop-bench --memory`: where the TUI's heap goes at this many sockets, step by step, measured
// in this process with katop's own modules (glibc's count of bytes in use, docs/performance.md).
import CKatopMalloc
import KatopModel
import SockDiag

/// Heap in use, MiB.
func heapMiB() -> Double { Double(katop_malloc_in_use()) / 1_048_576 }

/// The TUI's steps (a cold full collection, its merge into the store, the snapshot's release, a
/// warm collection and merge, the view's slots), each with the heap in use after it.
func probeMemory() throws -> [(step: String, mib: Double)] {
  _ = katop_set_mmap_threshold(1 << 20)  // as the katop executable does
  var out: [(String, Double)] = [("before collecting", heapMiB())]
  let collector = Collector()
  var store = ConnectionStore()
  store.flow = FlowContext(profile: .aws, localAddresses: HostFacts.localAddresses())
  do {
    let cold = try collector.collect(CollectRequest())
    out.append(("cold collection (snapshot + owner/settings caches)", heapMiB()))
    store.merge(cold, coverage: .complete, nowMs: 1000)
    out.append(("merged into the store (the cold snapshot already released after its last use)", heapMiB()))
  }
  out.append(("store + caches", heapMiB()))
  do {
    let warm = try collector.collect(CollectRequest())
    out.append(("a whole warm collection held next to the store (katop --once's way)", heapMiB()))
    store.merge(warm, coverage: .complete, nowMs: 2000)
  }
  // The TUI's way: the walk merged in parts as the dump goes (the highest heap after a part).
  var peak = heapMiB()
  var parts = 0
  let rest = try collector.collect(CollectRequest()) { part in
    if parts == 0 { store.beginWalk(system: part.system, expectedCount: part.expectedCount) }
    store.mergeWalkPart(part, nowMs: 3000)
    parts += 1
    peak = max(peak, heapMiB())
  }
  store.endWalk(rest, nowMs: 3000)
  out.append(("a walk merged in parts (\(parts) parts): its highest point", peak))
  let slots = SortOrder(column: .risk, descending: true).order(store.occupiedSlots, of: store.rows)
  out.append(("after a warm merge, with the sorted view (\(slots.count) slots)", heapMiB()))
  let withRisks = store.rows.reduce(0) { $0 + ($1.connection.risks.isEmpty ? 0 : 1) }
  let rowsMiB = Double(store.rows.capacity * MemoryLayout<StoredConnection>.stride) / 1_048_576
  out.append(("  of which the store's row array (\(MemoryLayout<StoredConnection>.stride) B x \(store.rows.capacity); \(withRisks) rows with risks)", rowsMiB))
  return out
}
