// The rows the table shows: slots of the connection store in display order, each with its new /
// closed status read from the store's stamps (AppState builds them).
import KatopModel

public enum RowStatus: Hashable, Sendable {
  case unchanged
  /// First seen less than `AppState.highlightMs` ago.
  case new
  /// Gone from the latest complete snapshot; lingers greyed for `AppState.highlightMs`.
  case closed
}

public struct TableRow: Sendable {
  public var connection: Connection
  public var status: RowStatus
  /// What the store watched of the flow (FlowBudget's flow idle and "kept by the peer").
  public var watched: FlowActivity.Entry? = nil
  /// The row's identity: `ConnectionStore.key(of:)`, the socket cookie where there is one.
  public var cookie: UInt64 { ConnectionStore.key(of: connection.record) }
}

/// The table's rows in display order: a list of slots into the store's rows (shared, not
/// copied), so 100k rows cost an index list.
public struct TableRows: RandomAccessCollection, Sendable {
  let store: [StoredConnection]
  let slots: [Int32]
  /// A row is new while `nowMs` is within the highlight of its first sighting.
  var nowMs: UInt64

  init(store: [StoredConnection] = [], slots: [Int32] = [], nowMs: UInt64 = 0) {
    self.store = store
    self.slots = slots
    self.nowMs = nowMs
  }

  public var startIndex: Int { 0 }
  public var endIndex: Int { slots.count }

  public subscript(position: Int) -> TableRow {
    let r = store[Int(slots[position])]
    if r.isClosed { return TableRow(connection: r.connection, status: .closed, watched: r.watched) }
    let isNew = r.firstSeenMs.map { nowMs &- $0 < AppState.highlightMs } ?? false
    return TableRow(connection: r.connection, status: isNew ? .new : .unchanged, watched: r.watched)
  }

  /// The row's identity (`ConnectionStore.key(of:)`: the cookie, where the kernel gave one)
  /// without building the row.
  public func cookie(at position: Int) -> UInt64 { store[Int(slots[position])].key }

  public func index(ofCookie cookie: UInt64) -> Int? {
    indices.first { self.cookie(at: $0) == cookie }
  }
}
