// The config file (docs/config.md): `key = value` lines, `#` comments, read from
// /etc/katop/config and then $XDG_CONFIG_HOME/katop/config (or ~/.config/katop/config); a later
// file wins over an earlier one, and a flag on the command line wins over both.
import FoundationEssentials
import KatopModel

/// One `key = value` setting and where it was written.
struct ConfigEntry: Equatable {
  var value: String
  var file: String
  var line: Int
  var origin: String { "\(file):\(line)" }
}

/// A config file problem: names the file and line, one line of text.
struct ConfigError: Error, CustomStringConvertible {
  var file: String
  var line: Int?
  var problem: String
  var description: String { line.map { "\(file):\($0): \(problem)" } ?? "\(file): \(problem)" }
}

struct ConfigFile {
  /// The keys katop knows (a new setting is one more entry here and one case in
  /// Katop.applyConfig).
  static let keys = [
    "profile", "idle-timeout", "sort", "reverse", "theme", "interval", "source", "owners", "color", "ascii", "readonly", "path",
  ]

  var entries: [String: ConfigEntry] = [:]

  /// The files read, lowest priority first.
  static func searchPaths(environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
    var paths = ["/etc/katop/config"]
    if let xdg = environment["XDG_CONFIG_HOME"], !xdg.isEmpty {
      paths.append(xdg + "/katop/config")
    } else if let home = environment["HOME"], !home.isEmpty {
      paths.append(home + "/.config/katop/config")
    }
    return paths
  }

  /// Reads every existing file of `paths`; a missing file is skipped, an unreadable one is an error.
  static func load(paths: [String]) throws -> ConfigFile {
    var config = ConfigFile()
    for path in paths {
      guard FileManager.default.fileExists(atPath: path) else { continue }
      guard let data = FileManager.default.contents(atPath: path) else {
        throw ConfigError(file: path, line: nil, problem: "cannot read the config file")
      }
      guard let text = String(data: data, encoding: .utf8) else {
        throw ConfigError(file: path, line: nil, problem: "not UTF-8 text")
      }
      try config.parse(text, file: path)
    }
    return config
  }

  mutating func parse(_ text: String, file: String) throws {
    var number = 0
    for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
      number += 1
      var line = Substring(raw)
      if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
      let trimmed = line.trimmingSpaces
      if trimmed.isEmpty { continue }
      guard let eq = trimmed.firstIndex(of: "=") else {
        throw ConfigError(file: file, line: number, problem: "expected 'key = value', got '\(trimmed)'")
      }
      let key = trimmed[..<eq].trimmingSpaces.lowercased()
      let value = trimmed[trimmed.index(after: eq)...].trimmingSpaces
      guard Self.keys.contains(key) else {
        throw ConfigError(file: file, line: number, problem: "unknown key '\(key)' (one of: \(Self.keys.joined(separator: ", ")))")
      }
      guard !value.isEmpty else { throw ConfigError(file: file, line: number, problem: "'\(key)' has no value") }
      entries[key] = ConfigEntry(value: value, file: file, line: number)
    }
  }

  /// Converts the entry for `key` with `convert` (an option's own parser), turning its error into
  /// one naming the file and line.
  func value<T>(_ key: String, _ convert: (String) throws -> T) throws -> (T, ConfigEntry)? {
    guard let entry = entries[key] else { return nil }
    do {
      return (try convert(entry.value), entry)
    } catch {
      throw ConfigError(file: entry.file, line: entry.line, problem: "\(key): \(error)")
    }
  }

  /// `true`/`false` (also yes/no, on/off, 1/0).
  static func parseBool(_ text: String) throws -> Bool {
    switch text.lowercased() {
    case "true", "yes", "on", "1": return true
    case "false", "no", "off", "0": return false
    default: throw ValidationErrorText(text: "'\(text)' is not true or false")
    }
  }
}

/// An error whose text is the whole message (ArgumentParser's ValidationError prints the same).
struct ValidationErrorText: Error, CustomStringConvertible {
  var text: String
  var description: String { text }
}
