// Trimming a `key = value` line of katop's text files (config, themes).

extension StringProtocol {
  /// Without leading and trailing spaces, tabs and carriage returns (a file saved with CRLF).
  public var trimmingSpaces: String {
    var s = Substring(self)
    while let f = s.first, f == " " || f == "\t" || f == "\r" { s.removeFirst() }
    while let l = s.last, l == " " || l == "\t" || l == "\r" { s.removeLast() }
    return String(s)
  }
}
