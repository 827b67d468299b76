// Applying the config file to the parsed command line (flags win) and `--print-config`.
import KatopModel

extension Katop {
  /// Fills every setting the command line left unset from `config`; returns where each setting
  /// came from ("command line", "FILE:LINE" or "default"), keyed like the config file.
  mutating func applyConfig(_ config: ConfigFile) throws -> [String: String] {
    var origins: [String: String] = [:]
    func from(_ key: String, flag: Bool, _ entry: ConfigEntry?) {
      origins[key] = flag ? "command line" : entry?.origin ?? "default"
    }
    // --profile and --idle-timeout choose one thing: a flag for either overrides both entries.
    let profileFlag = profile != nil || idleTimeout != nil
    var profileEntry: ConfigEntry?, timeoutEntry: ConfigEntry?
    if !profileFlag {
      if let (p, e) = try config.value("profile", parseProfileChoice) { profile = p; profileEntry = e }
      if let (t, e) = try config.value("idle-timeout", parseIdleTimeout) { idleTimeout = t; timeoutEntry = e }
    }
    from("profile", flag: profileFlag, profileEntry)
    from("idle-timeout", flag: profileFlag, timeoutEntry ?? profileEntry)

    var entry: ConfigEntry?
    let sortFlag = sort != nil
    if !sortFlag, let (v, e) = try config.value("sort", parseSort) { sort = v; entry = e } else { entry = nil }
    from("sort", flag: sortFlag, entry)

    entry = nil
    if !reverse, let (v, e) = try config.value("reverse", ConfigFile.parseBool) { reverse = v; entry = e }
    from("reverse", flag: reverse && entry == nil, entry)

    entry = nil
    let themeFlag = theme != nil
    if !themeFlag, let (v, e) = try config.value("theme", { $0 }) { theme = v; entry = e }
    from("theme", flag: themeFlag, entry)

    entry = nil
    let intervalFlag = interval != nil
    if !intervalFlag, let (v, e) = try config.value("interval", parseInterval) { interval = v; entry = e }
    from("interval", flag: intervalFlag, entry)

    entry = nil
    let sourceFlag = source != nil
    if !sourceFlag, let (v, e) = try config.value("source", parseSource) { source = v; entry = e }
    from("source", flag: sourceFlag, entry)

    // Negative flags: `owners = false` is --no-owners, `color = false` is --no-color.
    entry = nil
    if !noOwners, let (v, e) = try config.value("owners", ConfigFile.parseBool) { noOwners = !v; entry = e }
    from("owners", flag: noOwners && entry == nil, entry)

    entry = nil
    if !noColor, let (v, e) = try config.value("color", ConfigFile.parseBool) { noColor = !v; entry = e }
    from("color", flag: noColor && entry == nil, entry)

    entry = nil
    if !ascii, let (v, e) = try config.value("ascii", ConfigFile.parseBool) { ascii = v; entry = e }
    from("ascii", flag: ascii && entry == nil, entry)

    entry = nil
    if !readonly, let (v, e) = try config.value("readonly", ConfigFile.parseBool) { readonly = v; entry = e }
    from("readonly", flag: readonly && entry == nil, entry)

    // `path = 198.51.100.0/24=20, 10.0.0.0/8=aws`: the --path rules, when none is on the command line.
    entry = nil
    let pathFlag = !path.isEmpty
    if !pathFlag, let (v, e) = try config.value("path", { text in
      try text.split(separator: ",").map { try parsePathRule($0.trimmingSpaces) }
    }) { path = v; entry = e }
    from("path", flag: pathFlag, entry)
    return origins
  }

  /// `--print-config`: one `key = value   # origin` line per setting, then the files read.
  func effectiveSettings(origins: [String: String], configPaths: [String] = ConfigFile.searchPaths()) -> String {
    let p = chosenProfile
    let themeName = theme ?? "default"
    let themeFile = ThemeFiles.locate(themeName, searchDirs: ThemeFiles.searchDirs()) ?? "compiled in"
    let ms = interval ?? 1000
    let seconds = ms % 1000 == 0 ? "\(ms / 1000)" : "\(Double(ms) / 1000)"
    let rows: [(String, String)] = [
      ("profile", idleTimeout != nil ? "custom" : p.name),
      ("idle-timeout", "\(p.idleTimeoutSeconds)"),
      ("sort", (sort ?? .risk).rawValue),
      ("reverse", "\(reverse)"),
      ("theme", "\(themeName) (\(themeFile))"),
      ("interval", seconds),
      ("source", source?.rawValue ?? "netlink"),
      ("owners", "\(!noOwners)"),
      ("color", "\(!noColor)"),
      ("ascii", ascii ? "true" : "auto"),
      ("readonly", "\(readonly)"),
      ("path", path.isEmpty ? "(none)" : path.map(\.text).joined(separator: ", ")),
    ]
    let width = rows.map { $0.0.count + 3 + $0.1.count }.max() ?? 0
    var text = ""
    for (key, value) in rows {
      let line = "\(key) = \(value)"
      text += line + String(repeating: " ", count: width - line.count) + "  # " + (origins[key] ?? "default") + "\n"
    }
    text += "# config files, later wins: " + configPaths.joined(separator: ", ") + "\n"
    return text
  }
}
