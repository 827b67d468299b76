// Entry point: every failure is one line on stderr and a non-zero exit; --help and --version
// print as usual.
import ArgumentParser
import Foundation

extension Katop {
  static func main() {
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
