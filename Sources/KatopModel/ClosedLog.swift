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

/// A death as the listener heard it, with what the listener's side knows: katop's kill journal
/// entry for the cookie and the abort counters' deltas of its batch (the TUI joins it to the store).
public struct HeardDeath: Sendable {
  public var death: SocketDeath
  public var kill: KatopKill?
  public var counters: AbortCounters?
  public init(death: SocketDeath, kill: KatopKill?, counters: AbortCounters?) {
    self.death = death
    self.kill = kill
    self.counters = counters
  }
}

extension ConnectionFilter {
  /// The table's filter over a dead connection: ports, risky only (died of anything but an
  /// orderly close, or was risky when last seen), and the text over addresses, owner and cause.
  /// States do not apply (every death is CLOSE).
  public func matches(_ c: ClosedConnection) -> Bool {
    if !ports.isEmpty && !ports.contains(c.local.port) && !ports.contains(c.remote.port) { return false }
    if riskyOnly && c.cause == .orderlyClose && c.risks.isEmpty { return false }
    guard !text.isEmpty else { return true }
    let n = Array(text.lowercased().utf8)
    var fields = [c.cause.rawValue, c.cause.label, Format.endpoint(c.local), Format.endpoint(c.remote)]
    if let o = c.owner { fields += [o.command, "\(o.pid)/\(o.command)"] }
    return fields.contains { ConnectionFilter.contains($0, lowercasedNeedle: n) }
  }
}
