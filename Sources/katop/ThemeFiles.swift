// Finding and reading theme files (the KatopUI module parses theme text but reads no files).
// Themes are looked up from the binary's install prefix, the user's config directory and the
// compiled-in themes; never from the current directory (docs/themes.md).
import FoundationEssentials
import Glibc
import KatopUI

enum ThemeFiles {
  /// The running binary, symlinks resolved (argv[0] is a bare `katop` when found on PATH).
  static var executablePath: String? {
    (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments.first
  }

  /// Directories searched for `NAME.theme`, most specific first.
  static func searchDirs(
    executablePath: String? = ThemeFiles.executablePath,
    environment: [String: String] = ProcessInfo.processInfo.environment
  ) -> [String] {
    var dirs: [String] = []
    if let xdg = environment["XDG_CONFIG_HOME"], !xdg.isEmpty {
      dirs.append(xdg + "/katop/themes")
    } else if let home = environment["HOME"], !home.isEmpty {
      dirs.append(home + "/.config/katop/themes")
    }
    if let exe = executablePath, exe.hasPrefix("/"), let slash = exe.lastIndex(of: "/") {
      let bin = URL(fileURLWithPath: String(exe[..<slash]))
      // <prefix>/bin/katop; in a source checkout .build/debug/katop or .build/<triple>/debug/katop.
      for relative in ["../share/katop/themes", "../../themes", "../../../themes"] {
        dirs.append(bin.appendingPathComponent(relative).standardizedFileURL.path)
      }
    }
    return dirs
  }

  /// Loads a theme by NAME (`NAME.theme` in `searchDirs`; `default` and `mono` fall back to the
  /// compiled-in themes) or by PATH (contains '/' or ends with `.theme`).
  static func load(nameOrPath: String, searchDirs: [String]) throws -> Theme {
    if let path = locate(nameOrPath, searchDirs: searchDirs) {
      guard let text = readText(path) else { throw ThemeError(file: path, line: nil, problem: "cannot read theme file") }
      return try Theme.parse(text, file: path)
    }
    if isPath(nameOrPath) { throw ThemeError(file: nameOrPath, line: nil, problem: "cannot read theme file") }
    if nameOrPath == "default" { return Theme.builtinDefault }
    if nameOrPath == "mono" { return Theme.builtinMono }
    throw ThemeError(
      file: nameOrPath, line: nil,
      problem: "no such theme (looked for \(nameOrPath).theme in \(searchDirs.joined(separator: ", ")))")
  }

  /// The file a theme NAME or PATH resolves to, nil for a compiled-in or missing theme.
  static func locate(_ nameOrPath: String, searchDirs: [String]) -> String? {
    if isPath(nameOrPath) { return FileManager.default.fileExists(atPath: nameOrPath) ? nameOrPath : nil }
    return searchDirs.map { $0 + "/" + nameOrPath + ".theme" }.first { FileManager.default.fileExists(atPath: $0) }
  }

  static func isPath(_ nameOrPath: String) -> Bool { nameOrPath.contains("/") || nameOrPath.hasSuffix(".theme") }

  /// A whole (small, at most 1 MiB) file as UTF-8, nil when it cannot be read.
  static func readText(_ path: String) -> String? {
    let limit = 1 << 20
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 16 * 1024)
    while bytes.count <= limit {
      let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
      if n < 0 && errno == EINTR { continue }
      if n < 0 { return nil }
      if n == 0 { break }
      bytes += chunk[..<n]
    }
    guard bytes.count <= limit else { return nil }
    return String(decoding: bytes, as: UTF8.self)
  }
}
