// Filters shared by --once, --json and the TUI.

public struct ConnectionFilter: Hashable, Sendable {
  /// Local or remote port in this list; empty = any. (The collector also applies it in the kernel.)
  public var ports: [UInt16]
  /// Allowed states; empty = any.
  public var states: Set<TCPState>
  public var riskyOnly: Bool
  /// The owner's pid in this list; empty = any.
  public var pids: [Int32] = []
  /// The owner's user name (or uid as digits) in this list; empty = any.
  public var users: [String] = []
  /// The owner's exact command (/proc/PID/comm) in this list; empty = any.
  public var commands: [String] = []
  /// At least one of these risks; empty = any.
  public var riskIDs: [RiskRule] = []
  /// Shows what the owner, risk and text filters (and risky-only) leave out; ports and states
  /// (kernel-side) still apply.
  public var inverted = false
  /// Case-insensitive substring over addresses, state, owner (command, pid, user, command line)
  /// and risk ids; empty = any.
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

  public var isEmpty: Bool { ports.isEmpty && states.isEmpty && !selects }

  /// Owner, risk or text filters are on (what `inverted` inverts).
  public var selects: Bool {
    riskyOnly || !text.isEmpty || !pids.isEmpty || !users.isEmpty || !commands.isEmpty || !riskIDs.isEmpty
  }

  public func matches(_ c: Connection) -> Bool { matches(c, wasRisky: false) }

  /// `wasRisky`: the row had a risk while open (a closed row lingering in the risky-only view).
  public func matches(_ c: Connection, wasRisky: Bool) -> Bool {
    if !ports.isEmpty && !ports.contains(c.record.local.port) && !ports.contains(c.record.remote.port) {
      return false
    }
    if !states.isEmpty && !states.contains(c.record.state) { return false }
    return !selects || selected(c, wasRisky: wasRisky) != inverted
  }

  /// The owner, risk and text filters' verdict, before `inverted`.
  func selected(_ c: Connection, wasRisky: Bool) -> Bool {
    if riskyOnly && !wasRisky && !c.hasRisks { return false }
    if !pids.isEmpty && !(c.owner.map { pids.contains($0.pid) } ?? false) { return false }
    if !users.isEmpty && !(c.owner.map { users.contains($0.userName) || users.contains(String($0.uid)) } ?? false) {
      return false
    }
    if !commands.isEmpty && !(c.owner.map { commands.contains($0.command) } ?? false) { return false }
    if !riskIDs.isEmpty && !c.risks.contains(where: { riskIDs.contains($0.id) }) { return false }
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
      if let d = o.details {
        if let user = d.user, ConnectionFilter.contains(user, lowercasedNeedle: n) { return true }
        if ConnectionFilter.contains(d.commandLine, lowercasedNeedle: n) { return true }
      }
    }
    if c.hasRisks && c.risks.contains(where: { ConnectionFilter.contains($0.id.rawValue, lowercasedNeedle: n) }) {
      return true
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
