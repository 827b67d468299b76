// The Closed view's state: deaths heard by the listener are joined by cookie to the store (owner,
// settings, lifetime, budget, risks) and kept in a bounded ring, newest first.
import KatopModel

extension AppState {
  /// Joins and keeps each death (before the snapshot that drops its row is merged); with a port
  /// filter, only deaths on those ports.
  public mutating func recordDeaths(_ heard: [HeardDeath]) {
    // The port filter narrows what is kept, as it narrows what the kernel dumps (on a busy host
    // the other ports' churn would push these out of the ring).
    let ports = filter.ports
    for h in heard {
      let r = h.death.record
      if !ports.isEmpty && !ports.contains(r.local.port) && !ports.contains(r.remote.port) { continue }
      closed.append(store.closedConnection(for: h.death, kill: h.kill, counters: h.counters))
    }
  }

  /// The deaths the filter lets through, newest first.
  public var closedShown: [ClosedConnection] {
    var out: [ClosedConnection] = []
    for i in 0..<closed.count where filter.matches(closed[newest: i]) { out.append(closed[newest: i]) }
    return out
  }
}
