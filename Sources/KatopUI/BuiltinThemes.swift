// The themes compiled into katop so it works from any directory. themes/default.theme and
// themes/mono.theme carry the same text (a test keeps them in sync).
#if canImport(Glibc)
import Glibc
#endif

extension Theme {
  public static let defaultThemeText = """
    # katop default theme: dark background.
    name = default
    header            = fg:250/white
    header-value      = fg:81/cyan bold
    table-header      = fg:16/black bg:34/green
    row               = fg:default
    selected          = fg:16/black bg:75/cyan
    risk-info         = fg:110/blue
    risk-warning      = fg:214/yellow
    risk-critical     = fg:203/red bold
    new-row           = fg:120/green bold
    closed-row        = fg:242/black dim
    keepalive-on      = fg:114/green
    keepalive-off     = fg:209/red
    keepalive-unknown = fg:179/yellow
    assumed           = fg:245/white dim
    hint-key          = fg:default bold
    hint-text         = fg:16/black bg:37/cyan
    prompt            = fg:229/yellow bold
    detail-label      = fg:110/cyan
    detail-value      = fg:default bold
    border            = fg:240/blue
    status            = fg:150/green
    error             = fg:231/white bg:160/red bold

    """

  public static let monoThemeText = """
    # katop mono theme: no colour, attributes only (also used when the terminal has no colours).
    name = mono
    header            = fg:default
    header-value      = bold
    table-header      = reverse
    row               = fg:default
    selected          = reverse bold
    risk-info         = fg:default
    risk-warning      = bold
    risk-critical     = bold underline
    new-row           = bold
    closed-row        = dim
    keepalive-on      = fg:default
    keepalive-off     = bold
    keepalive-unknown = underline
    assumed           = dim
    hint-key          = bold
    hint-text         = reverse
    prompt            = bold
    detail-label      = underline
    detail-value      = bold
    border            = dim
    status            = bold
    error             = reverse bold

    """

  /// The compiled-in default theme.
  public static let builtinDefault: Theme = {
    (try? Theme.parse(defaultThemeText, file: "<builtin default>", base: Theme(name: "default", styles: [:])))
      ?? Theme(name: "default", styles: [:])
  }()

  /// The compiled-in attribute-only theme.
  public static let builtinMono: Theme = {
    (try? Theme.parse(monoThemeText, file: "<builtin mono>", base: Theme(name: "mono", styles: [:])))
      ?? Theme(name: "mono", styles: [:])
  }()

  /// Directories searched for `NAME.theme`, most specific first.
  public static func defaultSearchDirs(executablePath: String?) -> [String] {
    var dirs = ["./themes"]
    if let home = getenv("XDG_CONFIG_HOME").map({ String(cString: $0) }), !home.isEmpty {
      dirs.append(home + "/katop/themes")
    } else if let home = getenv("HOME").map({ String(cString: $0) }), !home.isEmpty {
      dirs.append(home + "/.config/katop/themes")
    }
    if let exe = executablePath, let slash = exe.lastIndex(of: "/") {
      let dir = String(exe[..<slash])
      // <prefix>/bin/katop, .build/debug/katop, .build/<triple>/debug/katop
      dirs += [dir + "/../share/katop/themes", dir + "/../../themes", dir + "/../../../themes"]
    }
    dirs += ["/usr/local/share/katop/themes", "/usr/share/katop/themes"]
    return dirs
  }

  /// Loads a theme by NAME (searched in `searchDirs` as NAME.theme; `default` and `mono` fall back
  /// to the compiled-in themes) or by PATH (contains '/' or ends with `.theme`).
  public static func load(nameOrPath: String, searchDirs: [String]) throws -> Theme {
    let isPath = nameOrPath.contains("/") || nameOrPath.hasSuffix(".theme")
    if isPath {
      guard let text = readTextFile(nameOrPath) else {
        throw ThemeError(file: nameOrPath, line: nil, problem: "cannot read theme file")
      }
      return try parse(text, file: nameOrPath)
    }
    for dir in searchDirs {
      let path = dir + "/" + nameOrPath + ".theme"
      if let text = readTextFile(path) { return try parse(text, file: path) }
    }
    if nameOrPath == "default" { return builtinDefault }
    if nameOrPath == "mono" { return builtinMono }
    throw ThemeError(
      file: nameOrPath, line: nil,
      problem: "no such theme (looked for \(nameOrPath).theme in \(searchDirs.joined(separator: ", ")))")
  }

  /// Names of the themes found in `searchDirs` (plus the compiled-in ones), sorted.
  public static func available(searchDirs: [String]) -> [String] {
    var names: Set<String> = ["default", "mono"]
    for dir in searchDirs {
      guard let d = opendir(dir) else { continue }
      defer { closedir(d) }
      while let entry = readdir(d) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
          String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        if name.hasSuffix(".theme") { names.insert(String(name.dropLast(6))) }
      }
    }
    return names.sorted()
  }

  /// Reads a whole (small) file as UTF-8, nil when it cannot be opened.
  static func readTextFile(_ path: String) -> String? {
    guard let f = fopen(path, "r") else { return nil }
    defer { fclose(f) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
      let n = fread(&chunk, 1, chunk.count, f)
      if n > 0 { bytes += chunk[0..<n] }
      if n < chunk.count { break }
      if bytes.count > 1 << 20 { return nil }
    }
    if ferror(f) != 0 { return nil }
    return String(decoding: bytes, as: UTF8.self)
  }
}
