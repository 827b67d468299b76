// Plain `katop`: the interactive table.
import KatopModel

extension Katop {
  func runTUI() throws {
    throw TUIUnavailable()
  }
}

struct TUIUnavailable: Error, CustomStringConvertible {
  var description: String { "the interactive TUI is not built yet; use katop --once or katop --once --json" }
}
