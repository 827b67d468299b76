// The one parser of port lists, for `--port` and the TUI's port prompt.

public enum PortList {
  public struct Problem: Error, Equatable, CustomStringConvertible {
    /// The piece that is not a port (empty for an empty piece, e.g. in `80,`).
    public var piece: String
    public init(piece: String) { self.piece = piece }
    public var description: String { "'\(piece)' is not a port (1-65535)" }
  }

  /// Parses `3306`, `80,443`, `80 443`, `80, 443`: commas and / or spaces between ports 1-65535,
  /// repeats dropped, order kept. An empty piece between commas (`80,,443`, `80,`) is an error;
  /// text with no ports at all gives [] (the prompt's "clear the filter").
  public static func parse(_ text: String) -> Result<[UInt16], Problem> {
    var ports: [UInt16] = []
    for chunk in text.split(separator: ",", omittingEmptySubsequences: false) {
      let words = chunk.split(separator: " ")
      if words.isEmpty && text.contains(",") { return .failure(Problem(piece: "")) }
      for word in words {
        guard word.allSatisfy({ ("0"..."9").contains($0) }), let v = UInt16(word), v > 0 else { return .failure(Problem(piece: String(word))) }
        if !ports.contains(v) { ports.append(v) }
      }
    }
    return .success(ports)
  }
}
