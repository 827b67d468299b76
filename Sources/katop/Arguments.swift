// Option value types for the command line: each one validates its own text and says what is
// wrong in one line.
import ArgumentParser
import KatopModel

/// Parses `--port 3306`, `--port 80,443` (`PortList`, the same parser as the TUI's prompt).
func parsePorts(_ text: String) throws -> [UInt16] {
  switch PortList.parse(text) {
  case .success(let ports) where !ports.isEmpty: return ports
  case .success: throw ValidationError("'\(text)' is not a port (1-65535)")
  case .failure(let problem): throw ValidationError(problem.description)
  }
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
