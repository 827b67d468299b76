// Filters shared by --once, --json and the TUI.

public struct ConnectionFilter: Hashable, Sendable {
  /// Local or remote port in this list; empty = any. (The collector also applies it in the kernel.)
  public var ports: [UInt16]
  /// Allowed states; empty = any.
  public var states: Set<TCPState>
  public var riskyOnly: Bool
  /// Case-insensitive substring over addresses, state and owner; empty = any.
  public var text: String { didSet { needle = Array(text.lowercased().utf8) } }
  /// `text` lowercased, made once when the text is set instead of once per row.
  private var needle: [UInt8]

  public init(ports: [UInt16] = [], states: Set<TCPState> = [], riskyOnly: Bool = false, text: String = "") {
    self.ports = ports
    self.states = states
    self.riskyOnly = riskyOnly
    self.text = text
    self.needle = Array(text.lowercased().utf8)
  }

  public var isEmpty: Bool { ports.isEmpty && states.isEmpty && !riskyOnly && text.isEmpty }

  public func matches(_ c: Connection) -> Bool {
    if !ports.isEmpty && !ports.contains(c.record.local.port) && !ports.contains(c.record.remote.port) {
      return false
    }
    if !states.isEmpty && !states.contains(c.record.state) { return false }
    if riskyOnly && !c.hasRisks { return false }
    if !needle.isEmpty && !matchesText(c) { return false }
    return true
  }

  /// The text search, one field at a time, cheapest first: state, owner command, then the
  /// strings that have to be built (owner "pid/command", endpoints).
  func matchesText(_ c: Connection) -> Bool {
    let n = needle
    if ConnectionFilter.contains(c.record.state.kernelName, lowercasedNeedle: n) { return true }
    if let o = c.owner {
      if ConnectionFilter.contains(o.command, lowercasedNeedle: n) { return true }
      if ConnectionFilter.contains("\(o.pid)/\(o.command)", lowercasedNeedle: n) { return true }
    }
    return ConnectionFilter.contains(Format.endpoint(c.record.local), lowercasedNeedle: n)
      || ConnectionFilter.contains(Format.endpoint(c.record.remote), lowercasedNeedle: n)
  }

  /// Substring search without allocating: ASCII letters of `hay` compare case-insensitively
  /// (non-ASCII bytes compare exactly).
  static func contains(_ hay: String, lowercasedNeedle needle: [UInt8]) -> Bool {
    if needle.isEmpty { return true }
    var hay = hay
    return hay.withUTF8 { h in
      let n = needle.count
      if h.count < n { return false }
      var start = 0
      while start + n <= h.count {
        var k = 0
        while k < n {
          var b = h[start + k]
          if b >= 0x41 && b <= 0x5A { b |= 0x20 }
          if b != needle[k] { break }
          k += 1
        }
        if k == n { return true }
        start += 1
      }
      return false
    }
  }
}
