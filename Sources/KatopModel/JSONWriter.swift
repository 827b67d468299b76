// A minimal streaming JSON writer into a byte buffer: no Foundation, no intermediate objects.
// Callers write keys and values in order; commas are inserted by the writer.

struct JSONWriter {
  private(set) var bytes: [UInt8] = []
  /// Per open container: whether it already holds an element (a comma is due before the next).
  private var hasElement: [Bool] = []
  /// Set after a key: the next value follows the colon with no comma.
  private var afterKey = false

  init(capacity: Int = 1024) { bytes.reserveCapacity(capacity) }

  var string: String { String(decoding: bytes, as: UTF8.self) }

  mutating func newline() { bytes.append(UInt8(ascii: "\n")) }

  private mutating func separate() {
    if afterKey {
      afterKey = false
      return
    }
    if let last = hasElement.last {
      if last { bytes.append(UInt8(ascii: ",")) }
      hasElement[hasElement.count - 1] = true
    }
  }

  mutating func beginObject() {
    separate()
    bytes.append(UInt8(ascii: "{"))
    hasElement.append(false)
  }

  mutating func endObject() {
    hasElement.removeLast()
    bytes.append(UInt8(ascii: "}"))
  }

  mutating func beginArray() {
    separate()
    bytes.append(UInt8(ascii: "["))
    hasElement.append(false)
  }

  mutating func endArray() {
    hasElement.removeLast()
    bytes.append(UInt8(ascii: "]"))
  }

  mutating func key(_ k: StaticString) {
    separate()
    bytes.append(UInt8(ascii: "\""))
    k.withUTF8Buffer { bytes.append(contentsOf: $0) }
    bytes.append(UInt8(ascii: "\""))
    bytes.append(UInt8(ascii: ":"))
    afterKey = true
  }

  mutating func null() {
    separate()
    appendASCII("null")
  }

  mutating func bool(_ v: Bool) {
    separate()
    appendASCII(v ? "true" : "false")
  }

  mutating func int<T: BinaryInteger>(_ v: T) {
    separate()
    appendDigits(v)
  }

  mutating func string(_ s: String) {
    separate()
    bytes.append(UInt8(ascii: "\""))
    appendEscaped(s)
    bytes.append(UInt8(ascii: "\""))
  }

  /// An integer written as a decimal string (64-bit values JavaScript cannot hold exactly).
  mutating func decimalString<T: BinaryInteger>(_ v: T) {
    separate()
    bytes.append(UInt8(ascii: "\""))
    appendDigits(v)
    bytes.append(UInt8(ascii: "\""))
  }

  // Convenience for optional fields.
  mutating func int<T: BinaryInteger>(_ v: T?) { if let v = v { int(v) } else { null() } }
  mutating func bool(_ v: Bool?) { if let v = v { bool(v) } else { null() } }

  private mutating func appendASCII(_ s: StaticString) {
    s.withUTF8Buffer { bytes.append(contentsOf: $0) }
  }

  private mutating func appendDigits<T: BinaryInteger>(_ v: T) {
    if v == 0 {
      bytes.append(UInt8(ascii: "0"))
      return
    }
    // Magnitude as UInt64 handles Int64.min; every field katop writes fits 64 bits.
    var magnitude: UInt64
    if v < 0 {
      bytes.append(UInt8(ascii: "-"))
      magnitude = UInt64(truncatingIfNeeded: 0 - Int64(truncatingIfNeeded: v))
    } else {
      magnitude = UInt64(truncatingIfNeeded: v)
    }
    var count = 0
    var rest = magnitude
    repeat {
      count += 1
      rest /= 10
    } while rest > 0
    let start = bytes.count
    bytes.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: count))
    var position = start + count - 1
    while magnitude > 0 {
      bytes[position] = UInt8(truncatingIfNeeded: magnitude % 10) + UInt8(ascii: "0")
      magnitude /= 10
      position -= 1
    }
  }

  private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

  /// RFC 8259 escaping: quote, backslash and control characters; also U+2028/U+2029 so the output
  /// is safe inside JavaScript source. Everything else is copied as UTF-8.
  private mutating func appendEscaped(_ s: String) {
    var s = s
    s.withUTF8 { appendEscaped(utf8: $0) }
  }

  private mutating func appendEscaped(utf8: UnsafeBufferPointer<UInt8>) {
    // Copy runs of plain bytes in one append; escape the rest.
    var runStart = 0
    var i = 0
    let n = utf8.count
    while i < n {
      let b = utf8[i]
      let plain = b >= 0x20 && b != 0x22 && b != 0x5C && b != 0xE2
      if plain {
        i += 1
        continue
      }
      // U+2028 / U+2029 are E2 80 A8 / E2 80 A9; other E2 sequences are plain.
      let lineSeparator = b == 0xE2 && i + 2 < n && utf8[i + 1] == 0x80 && (utf8[i + 2] == 0xA8 || utf8[i + 2] == 0xA9)
      if b == 0xE2 && !lineSeparator {
        i += 1
        continue
      }
      if runStart < i { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<i])) }
      switch b {
      case 0x22: appendASCII("\\\"")
      case 0x5C: appendASCII("\\\\")
      case 0x0A: appendASCII("\\n")
      case 0x0D: appendASCII("\\r")
      case 0x09: appendASCII("\\t")
      case 0x08: appendASCII("\\b")
      case 0x0C: appendASCII("\\f")
      case 0xE2:
        appendUnicodeEscape(utf8[i + 2] == 0xA8 ? 0x2028 : 0x2029)
        i += 2
      default: appendUnicodeEscape(UInt16(b))
      }
      i += 1
      runStart = i
    }
    if runStart < n { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<n])) }
  }

  private mutating func appendUnicodeEscape(_ v: UInt16) {
    appendASCII("\\u")
    bytes.append(JSONWriter.hex[Int(v >> 12) & 0xF])
    bytes.append(JSONWriter.hex[Int(v >> 8) & 0xF])
    bytes.append(JSONWriter.hex[Int(v >> 4) & 0xF])
    bytes.append(JSONWriter.hex[Int(v) & 0xF])
  }
}
