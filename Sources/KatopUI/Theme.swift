// Themes map roles to colours and attributes. File format (docs/themes.md): `key = value` lines,
// `#` comments; a value is a list of `fg:COLOUR`, `bg:COLOUR` and attribute words, where COLOUR is
// `default`, an 8-colour name, a 256-colour index, or `INDEX/NAME` (256-colour with 8-colour fallback).

import KatopModel

/// The eight basic terminal colours (the fallback when the terminal has fewer than 256).
public enum BasicColor: Int, CaseIterable, Sendable {
  case black = 0, red, green, yellow, blue, magenta, cyan, white

  public var name: String {
    switch self {
    case .black: return "black"
    case .red: return "red"
    case .green: return "green"
    case .yellow: return "yellow"
    case .blue: return "blue"
    case .magenta: return "magenta"
    case .cyan: return "cyan"
    case .white: return "white"
    }
  }

  public init?(name: String) {
    guard let c = BasicColor.allCases.first(where: { $0.name == name.lowercased() }) else { return nil }
    self = c
  }

  /// The nearest basic colour to an xterm 256-colour index.
  public static func nearest(to index: Int) -> BasicColor {
    if index < 8 { return BasicColor(rawValue: index) ?? .white }
    if index < 16 { return BasicColor(rawValue: index - 8) ?? .white }
    let rgb: (Int, Int, Int)
    if index >= 232 {
      let v = 8 + (index - 232) * 10
      rgb = (v, v, v)
    } else {
      let i = index - 16
      let steps = [0, 95, 135, 175, 215, 255]
      rgb = (steps[i / 36], steps[(i / 6) % 6], steps[i % 6])
    }
    // Threshold each channel; grey levels become black or white.
    let (r, g, b) = (rgb.0 > 127 ? 1 : 0, rgb.1 > 127 ? 1 : 0, rgb.2 > 127 ? 1 : 0)
    return BasicColor(rawValue: r | g << 1 | b << 2) ?? .white
  }
}

/// One colour: the terminal default, or a 256-colour index with its 8-colour fallback.
public enum ColorSpec: Hashable, Sendable {
  case terminalDefault
  case indexed(Int, fallback: BasicColor)
}

public struct Style: Hashable, Sendable {
  public var fg: ColorSpec = .terminalDefault
  public var bg: ColorSpec = .terminalDefault
  public var bold = false
  public var reverse = false
  public var underline = false
  public var dim = false
  public init(
    fg: ColorSpec = .terminalDefault, bg: ColorSpec = .terminalDefault, bold: Bool = false,
    reverse: Bool = false, underline: Bool = false, dim: Bool = false
  ) {
    self.fg = fg
    self.bg = bg
    self.bold = bold
    self.reverse = reverse
    self.underline = underline
    self.dim = dim
  }
}

public struct ThemeError: Error, CustomStringConvertible, Equatable {
  public var file: String
  /// 1-based line number; nil for problems with the file as a whole.
  public var line: Int?
  public var problem: String
  public init(file: String, line: Int?, problem: String) {
    self.file = file
    self.line = line
    self.problem = problem
  }
  public var description: String {
    if let line { return "\(file):\(line): \(problem)" }
    return "\(file): \(problem)"
  }
}

public struct Theme: Sendable {
  public var name: String
  public var styles: [Role: Style]
  /// Non-fatal problems found while parsing (unknown role keys), as `file:line: ...`.
  public var warnings: [String] = []

  public init(name: String, styles: [Role: Style], warnings: [String] = []) {
    self.name = name
    self.styles = styles
    self.warnings = warnings
  }

  public func style(_ role: Role) -> Style { styles[role] ?? Style() }

  /// Parses theme text. Roles the text does not mention inherit from `base` (the default theme
  /// unless told otherwise). Unknown role keys become warnings; bad values throw.
  public static func parse(_ text: String, file: String, base: Theme? = nil) throws -> Theme {
    var styles = (base ?? Theme.builtinDefault).styles
    var name = file
    var warnings: [String] = []
    var lineNumber = 0
    for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
      lineNumber += 1
      var line = Substring(rawLine)
      if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
      let trimmed = line.trimmingSpaces
      if trimmed.isEmpty { continue }
      guard let eq = trimmed.firstIndex(of: "=") else {
        throw ThemeError(file: file, line: lineNumber, problem: "expected 'key = value', got '\(trimmed)'")
      }
      let key = trimmed[..<eq].trimmingSpaces.lowercased()
      let value = trimmed[trimmed.index(after: eq)...].trimmingSpaces
      if key == "name" {
        name = value
        continue
      }
      if key == "description" { continue }
      guard let role = Role(rawValue: key) else {
        warnings.append("\(file):\(lineNumber): unknown role '\(key)' ignored")
        continue
      }
      do {
        styles[role] = try parseStyle(value)
      } catch let problem as StyleProblem {
        throw ThemeError(file: file, line: lineNumber, problem: problem.text)
      }
    }
    return Theme(name: name, styles: styles, warnings: warnings)
  }

  struct StyleProblem: Error { var text: String }

  static func parseStyle(_ value: String) throws -> Style {
    var style = Style()
    for token in value.split(whereSeparator: { $0 == " " || $0 == "\t" }) {
      let t = token.lowercased()
      if t.hasPrefix("fg:") {
        style.fg = try parseColor(String(t.dropFirst(3)))
      } else if t.hasPrefix("bg:") {
        style.bg = try parseColor(String(t.dropFirst(3)))
      } else {
        switch t {
        case "bold": style.bold = true
        case "reverse": style.reverse = true
        case "underline": style.underline = true
        case "dim": style.dim = true
        case "normal", "none": break
        default: throw StyleProblem(text: "unknown attribute '\(token)' (use fg:, bg:, bold, reverse, underline, dim)")
        }
      }
    }
    return style
  }

  static func parseColor(_ text: String) throws -> ColorSpec {
    if text == "default" || text == "-1" { return .terminalDefault }
    let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
    guard parts.count <= 2, let first = parts.first, !first.isEmpty else {
      throw StyleProblem(text: "bad colour '\(text)' (use default, a name, 0-255, or INDEX/NAME)")
    }
    var index: Int?
    var fallback: BasicColor?
    if let n = Int(first) {
      guard (0...255).contains(n) else { throw StyleProblem(text: "colour index \(n) out of range 0-255") }
      index = n
    } else if let c = BasicColor(name: first) {
      index = c.rawValue
      fallback = c
    } else {
      throw StyleProblem(text: "unknown colour '\(first)'")
    }
    if parts.count == 2 {
      guard let c = BasicColor(name: parts[1]) else {
        throw StyleProblem(text: "unknown colour '\(parts[1])' (fallback must be one of the 8 basic colours)")
      }
      fallback = c
    }
    let i = index ?? 0
    return .indexed(i, fallback: fallback ?? BasicColor.nearest(to: i))
  }
}
