// Entry point: every failure is one line on stderr and a non-zero exit; --help and --version
// print as usual.
import ArgumentParser
import CKatopMalloc
import Foundation

extension Katop {
  static func main() {
    // Row arrays of 100k sockets (tens of MB) are allocated and freed every refresh. glibc's
    // default mmap threshold grows to the size of the last freed block (up to 32 MiB), after which
    // such arrays land in the heap and fragment it; a fixed 1 MiB threshold keeps them in mmap,
    // returned on free (peak RSS at 100k sockets: --once 145 -> 115 MiB, TUI 190 -> 160 MiB).
    _ = katop_set_mmap_threshold(1 << 20)
    do {
      var command = try parseAsRoot()
      try command.run()
    } catch {
      let code = exitCode(for: error)
      if code == .success { exit(withError: error) }  // --help, --version
      let message: String
      if error is ArgumentParser.ValidationError || "\(type(of: error))".contains("Parser")
        || code == .validationFailure
      {
        message = firstLine(Self.message(for: error)) + " (see katop --help)"
      } else {
        message = firstLine("\(error)")
      }
      FileHandle.standardError.write(Data("katop: \(message)\n".utf8))
      Foundation.exit(code.rawValue == 0 ? 1 : code.rawValue)
    }
  }

  static func firstLine(_ s: String) -> String {
    let line = s.split(separator: "\n", omittingEmptySubsequences: true).first.map(String.init) ?? s
    return line.hasPrefix("Error: ") ? String(line.dropFirst(7)) : line
  }
}
