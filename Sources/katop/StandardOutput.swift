// Writing reports to stdout: every byte or a one-line error (a full disk, a closed descriptor),
// never a silent exit 0. A reader that went away (EPIPE, e.g. `katop --once | head`) ends the
// output quietly, like a closed pager. Warnings and errors go to stderr the same way, best effort.
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
  static func write(_ bytes: UnsafeRawBufferPointer, to fd: Int32 = STDOUT_FILENO) throws {
    guard var base = bytes.baseAddress else { return }
    var left = bytes.count
    while left > 0 {
      let n = Glibc.write(fd, base, left)
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

enum StandardError {
  /// `text` as it is (no newline added); a failed write is ignored, there is nowhere to report it.
  static func write(_ text: String) {
    var text = text
    text.withUTF8 { try? StandardOutput.write(UnsafeRawBufferPointer($0), to: STDERR_FILENO) }
  }
}
