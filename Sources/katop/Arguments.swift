// Option value types for the command line: each one validates its own text and says what is
// wrong in one line.
import ArgumentParser
import KatopModel

struct PortArgument: ExpressibleByArgument {
  let value: UInt16
  init?(argument: String) {
    guard let v = Int(argument), (1...65535).contains(v) else { return nil }
    value = UInt16(v)
  }
  static var defaultCompletionKind: CompletionKind { .default }
}

/// Parses `--port 3306`, `--port 80,443`: every piece must be 1-65535.
func parsePorts(_ text: String) throws -> [UInt16] {
  var out: [UInt16] = []
  for piece in text.split(separator: ",", omittingEmptySubsequences: false) {
    let p = piece.trimmingCharacters(in: .whitespaces)
    guard let port = PortArgument(argument: p) else {
      throw ValidationError("'\(p)' is not a port (1-65535)")
    }
    out.append(port.value)
  }
  return out
}

func parseState(_ text: String) throws -> TCPState {
  guard let s = TCPState(name: text) else {
    let names = TCPState.allCases.map { $0.kernelName.lowercased() }.joined(separator: ", ")
    throw ValidationError("unknown state '\(text)' (one of: \(names))")
  }
  return s
}

func parseProfile(_ text: String) throws -> MiddleboxProfile {
  guard let p = MiddleboxProfile.named(text) else {
    let names = MiddleboxProfile.all.map(\.name).joined(separator: ", ")
    throw ValidationError("unknown profile '\(text)' (one of: \(names))")
  }
  return p
}

/// `--idle-timeout SECONDS`: a positive finite number, at most 30 days.
func parseIdleTimeout(_ text: String) throws -> Int {
  guard let v = Double(text), v.isFinite else {
    throw ValidationError("'\(text)' is not a number of seconds")
  }
  guard v > 0, v <= 2_592_000 else {
    throw ValidationError("must be between 1 and 2592000 seconds, got \(text)")
  }
  return max(1, Int(v.rounded()))
}

/// `--interval SECONDS`: refresh interval for the TUI, 0.25-3600.
func parseInterval(_ text: String) throws -> Int {
  guard let v = Double(text), v.isFinite, v >= 0.25, v <= 3600 else {
    throw ValidationError("'\(text)' is not an interval between 0.25 and 3600 seconds")
  }
  return Int((v * 1000).rounded())
}

func parseSort(_ text: String) throws -> SortColumn {
  guard let c = SortColumn(rawValue: text.lowercased()) else {
    let names = SortColumn.allCases.map(\.rawValue).joined(separator: ", ")
    throw ValidationError("unknown sort column '\(text)' (one of: \(names))")
  }
  return c
}

func parseSource(_ text: String) throws -> SocketSource {
  guard let s = SocketSource(rawValue: text.lowercased()) else {
    throw ValidationError("unknown source '\(text)' (netlink or proc)")
  }
  return s
}
