// The TUI's record of recent deaths: a ring buffer of ClosedConnection with a fixed capacity, so
// a host closing 100k connections keeps the newest `capacity` and no more.

public struct ClosedLog: Sendable {
  public let capacity: Int
  private var storage: [ClosedConnection] = []
  /// Where the next entry goes once the buffer is full (the oldest entry's index).
  private var next = 0
  /// Every entry ever appended (dropped ones included).
  public private(set) var total = 0

  public init(capacity: Int = 5000) {
    self.capacity = max(1, capacity)
  }

  public var count: Int { storage.count }
  public var isEmpty: Bool { storage.isEmpty }
  /// Entries dropped to stay within `capacity`.
  public var dropped: Int { total - storage.count }

  public mutating func append(_ entry: ClosedConnection) {
    total += 1
    if storage.count < capacity {
      storage.append(entry)
      return
    }
    storage[next] = entry
    next = (next + 1) % capacity
  }

  /// The i-th newest entry (0: the newest).
  public subscript(newest i: Int) -> ClosedConnection {
    precondition(i >= 0 && i < storage.count, "ClosedLog index out of range")
    let newestIndex = storage.count < capacity ? storage.count - 1 : (next + capacity - 1) % capacity
    return storage[(newestIndex - i + capacity) % capacity]
  }

  /// Every entry, newest first.
  public var newestFirst: [ClosedConnection] { (0..<storage.count).map { self[newest: $0] } }

  public mutating func removeAll() {
    storage = []
    next = 0
    total = 0
  }
}
