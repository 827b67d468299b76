// An in-memory grid of cells the renderer draws into. The terminal blits it; tests read it back
// as text (`lines()`) and roles (`roles`). Each Character takes one column.

public struct Cell: Hashable, Sendable {
  public var character: Character
  public var role: Role
  public init(_ character: Character = " ", role: Role = .row) {
    self.character = character
    self.role = role
  }
}

public struct ScreenBuffer: Sendable {
  public let width: Int
  public let height: Int
  public private(set) var cells: [Cell]

  public init(width: Int, height: Int, fill role: Role = .row) {
    self.width = max(0, width)
    self.height = max(0, height)
    self.cells = [Cell](repeating: Cell(" ", role: role), count: self.width * self.height)
  }

  public subscript(row: Int, col: Int) -> Cell {
    guard row >= 0, row < height, col >= 0, col < width else { return Cell() }
    return cells[row * width + col]
  }

  /// Writes text at (row, col), clipped to the buffer; returns the column after the text.
  /// Control characters are shown as `?` so they can never move a real terminal's cursor.
  @discardableResult
  public mutating func put(_ row: Int, _ col: Int, _ text: String, _ role: Role) -> Int {
    guard row >= 0, row < height else { return col + text.count }
    var c = col
    for ch in text {
      if c >= width { return col + text.count }
      if c >= 0 {
        let safe: Character = ch.isASCII && (ch.asciiValue ?? 32) < 32 ? "?" : ch
        cells[row * width + c] = Cell(safe, role: role)
      }
      c += 1
    }
    return c
  }

  /// Fills `count` cells from (row, col) with a character and role (clipped).
  public mutating func fill(_ row: Int, _ col: Int, count: Int, _ character: Character = " ", _ role: Role) {
    guard row >= 0, row < height, count > 0 else { return }
    let start = max(0, col), end = min(width, col + count)
    guard start < end else { return }
    for c in start..<end { cells[row * width + c] = Cell(character, role: role) }
  }


  public mutating func clear(_ role: Role = .row) {
    for i in cells.indices { cells[i] = Cell(" ", role: role) }
  }

  /// Each row as text with trailing spaces removed.
  public func lines() -> [String] {
    (0..<height).map { r in
      var s = String(cells[(r * width)..<(r * width + width)].map(\.character))
      while s.last == " " { s.removeLast() }
      return s
    }
  }

  /// Each row's roles, one per column.
  public var roles: [[Role]] {
    (0..<height).map { r in cells[(r * width)..<(r * width + width)].map(\.role) }
  }

  /// The text of one row (untrimmed).
  public func text(row: Int) -> String {
    guard row >= 0, row < height else { return "" }
    return String(cells[(row * width)..<(row * width + width)].map(\.character))
  }
}

/// Text fitting helpers shared by the renderers.
enum Fit {
  /// Pads or truncates to exactly `width` columns; truncation ends with the ellipsis.
  static func pad(_ s: String, _ width: Int, right: Bool = false, ellipsis: String = "~") -> String {
    guard width > 0 else { return "" }
    let n = s.count
    if n == width { return s }
    if n < width {
      let spaces = String(repeating: " ", count: width - n)
      return right ? spaces + s : s + spaces
    }
    return truncate(s, width, ellipsis: ellipsis)
  }

  /// An `address:port` cut to `width` in the address, keeping its end and the port
  /// (`…1.5:3306`); padded like `pad` when it fits.
  static func endpoint(_ s: String, _ width: Int, ellipsis: String = "~") -> String {
    guard s.count > width, let colon = s.lastIndex(of: ":") else { return pad(s, width, ellipsis: ellipsis) }
    let port = s[colon...]
    let keep = width - port.count - ellipsis.count
    guard keep >= 1 else { return pad(s, width, ellipsis: ellipsis) }
    return ellipsis + String(s[..<colon].suffix(keep)) + port
  }

  static func truncate(_ s: String, _ width: Int, ellipsis: String = "~") -> String {
    guard s.count > width else { return s }
    guard width > ellipsis.count else { return String(s.prefix(width)) }
    return String(s.prefix(width - ellipsis.count)) + ellipsis
  }

  /// Greedy word wrap to `width` columns; words longer than the width are split.
  static func wrap(_ text: String, width: Int) -> [String] {
    guard width > 0 else { return [] }
    var lines: [String] = []
    var current = ""
    for word in text.split(separator: " ", omittingEmptySubsequences: true) {
      var w = String(word)
      while w.count > width {
        if !current.isEmpty { lines.append(current); current = "" }
        lines.append(String(w.prefix(width)))
        w = String(w.dropFirst(width))
      }
      if current.isEmpty {
        current = w
      } else if current.count + 1 + w.count <= width {
        current += " " + w
      } else {
        lines.append(current)
        current = w
      }
    }
    if !current.isEmpty || lines.isEmpty { lines.append(current) }
    return lines
  }
}
