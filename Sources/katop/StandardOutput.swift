// Writing reports to stdout: every byte or a one-line error (a full disk, a closed descriptor),
// never a silent exit 0. A reader that went away (EPIPE, e.g. `katop --once | head`) ends the
// output quietly, like a closed pager.
import Glibc

struct OutputError: Error, CustomStringConvertible {
  var errno: Int32
  var description: String { "cannot write to standard output: \(String(cString: strerror(errno)))" }
}

enum StandardOutput {
  static func write(_ text: String) throws {
    var text = text
    if !text.isEmpty && !text.hasSuffix("\n") { text += "\n" }
    try text.withUTF8 { try write(UnsafeRawBufferPointer($0)) }
  }

  static func write(_ bytes: [UInt8]) throws {
    try bytes.withUnsafeBytes { try write($0) }
  }

  /// write(2) until done; throws OutputError on failure except EPIPE.
  static func write(_ bytes: UnsafeRawBufferPointer) throws {
    guard var base = bytes.baseAddress else { return }
    var left = bytes.count
    while left > 0 {
      let n = Glibc.write(STDOUT_FILENO, base, left)
      if n < 0 {
        let e = Glibc.errno
        if e == EINTR { continue }
        if e == EPIPE { return }
        throw OutputError(errno: e)
      }
      base += n
      left -= n
    }
  }
}
