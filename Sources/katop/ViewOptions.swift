// How the table is laid out: which columns (TUI), one row per group (TUI, --once, --json;
// docs/keys.md, docs/json.md).
import ArgumentParser
import KatopModel
import KatopUI

struct ViewOptions: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "TUI columns in this order, comma-separated: \(Column.allCases.map(\.rawValue).joined(separator: ", ")) (default: by the terminal's width; F2 / C cycles presets).",
      valueName: "a,b,c"),
    transform: parseColumns)
  var columns: [Column]?

  @Option(
    help: ArgumentHelp(
      "One row per group: \(GroupBy.allCases.map(\.rawValue).joined(separator: ", ")) (TUI: g / F5 / t cycles; with --once and --json too).",
      valueName: "by"),
    transform: parseGroup)
  var group: GroupBy?

  @Flag(name: .customLong("no-mouse"), help: "TUI without mouse clicks (the terminal keeps the mouse for copy-paste).")
  var noMouse = false
}

func parseGroup(_ text: String) throws -> GroupBy {
  guard let g = GroupBy(rawValue: text.lowercased()) else {
    throw ValidationError("unknown grouping '\(text)' (one of: \(GroupBy.allCases.map(\.rawValue).joined(separator: ", ")))")
  }
  return g
}

func parseColumns(_ text: String) throws -> [Column] {
  switch Column.parseList(text) {
  case .success(let list): return list
  case .failure(let problem): throw ValidationError(problem.message)
  }
}
