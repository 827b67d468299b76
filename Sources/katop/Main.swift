// Entry point: every failure is one line on stderr and a non-zero exit; --help and --version
// print as usual.
import ArgumentParser
import CKatopMalloc
import Glibc
import KatopModel

extension Katop {
  static func main() {
    // Row arrays of 100k sockets (tens of MB) are allocated and freed every refresh. glibc's
    // default mmap threshold grows to the size of the last freed block (up to 32 MiB), after which
    // such arrays land in the heap and fragment it; a fixed 1 MiB threshold keeps them in mmap,
    // returned on free (peak RSS at 100k sockets: --once 145 -> 115 MiB, TUI 190 -> 160 MiB).
    _ = katop_set_mmap_threshold(1 << 20)
    do {
      var command = try parseCommandLine()
      try command.run()
    } catch {
      let (message, status) = classify(error)
      if status == 0 { exit(withError: error) }  // --help, --version
      StandardError.write("katop: \(message)\n")
      // A monitoring plugin's bad arguments or config are UNKNOWN (3) with a status line, as
      // Nagios' plugin guidelines ask; --check's other failures already are (ReportModes).
      if (status == 64 || status == 78) && CommandLine.arguments.dropFirst().contains("--check") {
        print(CheckReport.unknownLine(message))
        Glibc.exit(3)
      }
      Glibc.exit(status)
    }
  }

  /// The one-line message and exit status for an error, by its type: usage errors (the argument
  /// parser's, exit 64) point at --help; a bad config line is EX_CONFIG (78), an output error
  /// EX_IOERR (74); anything else exits 1.
  static func classify(_ error: Error) -> (message: String, status: Int32) {
    switch error {
    case let e as ConfigError: return (firstLine(e.description), 78)
    case let e as OutputError: return (e.description, 74)
    case let e as ExportError: return (e.description, 74)
    default:
      let code = exitCode(for: error)
      if code == .success { return ("", 0) }
      if code == .validationFailure { return (firstLine(message(for: error)) + " (see katop --help)", code.rawValue) }
      return (firstLine("\(error)"), code == .failure ? 1 : code.rawValue)
    }
  }

  static func firstLine(_ s: String) -> String {
    let line = s.split(separator: "\n", omittingEmptySubsequences: true).first.map(String.init) ?? s
    return line.hasPrefix("Error: ") ? String(line.dropFirst(7)) : line
  }
}
