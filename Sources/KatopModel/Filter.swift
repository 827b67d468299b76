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
    if riskyOnly && c.risks.isEmpty { return false }
    if !text.isEmpty {
      let needle = text.lowercased()
      let hay = [
        Format.endpoint(c.record.local), Format.endpoint(c.record.remote), c.record.state.kernelName,
        c.owner.map { "\($0.pid)/\($0.command)" } ?? "",
      ].joined(separator: " ").lowercased()
      if !hay.contains(needle) { return false }
    }
    return true
  }
}
