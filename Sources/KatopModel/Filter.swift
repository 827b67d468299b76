// Filters shared by --once, --json and the TUI.

public struct ConnectionFilter: Hashable, Sendable {
  /// Local or remote port in this list; empty = any. (The collector also applies it in the kernel.)
  public var ports: [UInt16]
  /// Allowed states; empty = any.
  public var states: Set<TCPState>
  public var riskyOnly: Bool
  /// Case-insensitive substring over addresses, state and owner; empty = any.
  public var text: String

  public init(ports: [UInt16] = [], states: Set<TCPState> = [], riskyOnly: Bool = false, text: String = "") {
    self.ports = ports
    self.states = states
    self.riskyOnly = riskyOnly
    self.text = text
  }

  public var isEmpty: Bool { ports.isEmpty && states.isEmpty && !riskyOnly && text.isEmpty }

  public func matches(_ c: Connection) -> Bool {
    if !ports.isEmpty && !ports.contains(c.record.local.port) && !ports.contains(c.record.remote.port) {
      return false
    }
    if !states.isEmpty && !states.contains(c.record.state) { return false }
    if riskyOnly && !c.hasRisks { return false }
    if !text.isEmpty {
      let needle = Array(text.lowercased().utf8)
      let fields = [
        Format.endpoint(c.record.local), Format.endpoint(c.record.remote), c.record.state.kernelName,
        c.owner.map { "\($0.pid)/\($0.command)" } ?? "",
      ]
      if !fields.contains(where: { ConnectionFilter.contains($0, lowercasedNeedle: needle) }) { return false }
    }
    return true
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
