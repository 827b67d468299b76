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
    let utf8 = s.utf8
    // Fast path: nothing to escape.
    let needsEscape = utf8.contains { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C || $0 == 0xE2 }
    if !needsEscape {
      bytes.append(contentsOf: utf8)
      return
    }
    var index = utf8.startIndex
    while index != utf8.endIndex {
      let b = utf8[index]
      switch b {
      case 0x22: appendASCII("\\\"")
      case 0x5C: appendASCII("\\\\")
      case 0x0A: appendASCII("\\n")
      case 0x0D: appendASCII("\\r")
      case 0x09: appendASCII("\\t")
      case 0x08: appendASCII("\\b")
      case 0x0C: appendASCII("\\f")
      case 0x00..<0x20: appendUnicodeEscape(UInt16(b))
      case 0xE2:
        // U+2028 / U+2029 are E2 80 A8 / E2 80 A9.
        let i1 = utf8.index(after: index)
        if i1 != utf8.endIndex, utf8[i1] == 0x80 {
          let i2 = utf8.index(after: i1)
          if i2 != utf8.endIndex, utf8[i2] == 0xA8 || utf8[i2] == 0xA9 {
            appendUnicodeEscape(utf8[i2] == 0xA8 ? 0x2028 : 0x2029)
            index = utf8.index(after: i2)
            continue
          }
        }
        bytes.append(b)
      default: bytes.append(b)
      }
      index = utf8.index(after: index)
    }
  }

  private mutating func appendUnicodeEscape(_ v: UInt16) {
    appendASCII("\\u")
    bytes.append(JSONWriter.hex[Int(v >> 12) & 0xF])
    bytes.append(JSONWriter.hex[Int(v >> 8) & 0xF])
    bytes.append(JSONWriter.hex[Int(v >> 4) & 0xF])
    bytes.append(JSONWriter.hex[Int(v) & 0xF])
  }
}
