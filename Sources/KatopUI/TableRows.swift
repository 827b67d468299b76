// The rows the table shows: a view over the analysed connections plus lingering closed ones,
// each with its new / closed status (AppState builds them).
import KatopModel

public enum RowStatus: Hashable, Sendable {
  case unchanged
  /// First seen less than `AppState.highlightMs` ago.
  case new
  /// Gone from the latest snapshot; lingers greyed for `AppState.highlightMs`.
  case closed
}

public struct TableRow: Sendable {
  public var connection: Connection
  public var status: RowStatus
  public var cookie: UInt64 { connection.record.cookie }
}

/// The table's rows in display order: a view over the state's connections (which stay in one
/// shared array) plus the lingering closed ones, built on access, so 100k rows cost an index
/// list at most instead of a second 100k-Connection array (docs/performance.md).
public struct TableRows: RandomAccessCollection, Sendable {
  let connections: [Connection]
  let lingering: [Connection]
  /// nil: every connection, in order. Otherwise >= 0: `connections[e]`; < 0: `lingering[-e - 1]`.
  let entries: [Int32]?
  /// When new sockets were first seen; a row is new while `nowMs` is within the highlight.
  let firstSeen: [UInt64: UInt64]
  var nowMs: UInt64

  init(
    connections: [Connection] = [], lingering: [Connection] = [], entries: [Int32]? = nil,
    firstSeen: [UInt64: UInt64] = [:], nowMs: UInt64 = 0
  ) {
    self.connections = connections
    self.lingering = lingering
    self.entries = entries
    self.firstSeen = firstSeen
    self.nowMs = nowMs
  }

  public var startIndex: Int { 0 }
  public var endIndex: Int { entries?.count ?? connections.count }

  public subscript(position: Int) -> TableRow {
    let e = entries.map { Int($0[position]) } ?? position
    if e < 0 { return TableRow(connection: lingering[-e - 1], status: .closed) }
    let c = connections[e]
    let isNew = firstSeen[c.record.cookie].map { nowMs &- $0 < AppState.highlightMs } ?? false
    return TableRow(connection: c, status: isNew ? .new : .unchanged)
  }

  /// The row's cookie without building the row.
  public func cookie(at position: Int) -> UInt64 {
    let e = entries.map { Int($0[position]) } ?? position
    return e < 0 ? lingering[-e - 1].record.cookie : connections[e].record.cookie
  }

  public func index(ofCookie cookie: UInt64) -> Int? {
    indices.first { self.cookie(at: $0) == cookie }
  }
}
