// A minimal streaming JSON writer into a byte buffer: no Foundation, no intermediate objects.
// Callers write keys and values in order; commas are inserted by the writer.
//
// Speed (docs/performance.md): bytes go into one manually grown buffer (no Array append
// bookkeeping per byte), commas come from a single "a value was just written" flag instead of a
// per-container stack, and with a sink the buffer is handed out and reused every `chunkSize`
// bytes, so a 100k-row report never sits in memory whole.

final class JSONWriter {
  private var buffer: UnsafeMutablePointer<UInt8>
  private var capacity: Int
  private var count = 0
  /// Set after a value or a closed container: a comma is due before the next element or key.
  private var commaDue = false
  /// Receives full chunks when set (streaming); otherwise the buffer grows.
  private let sink: ((UnsafeRawBufferPointer) -> Void)?
  private let chunkSize: Int

  init(capacity: Int = 1024) {
    self.capacity = max(capacity, 64)
    buffer = .allocate(capacity: self.capacity)
    sink = nil
    chunkSize = 0
  }

  /// Streaming: `sink` gets the bytes in chunks of about `chunkSize`; call `flush()` at the end.
  init(chunkSize: Int, sink: @escaping (UnsafeRawBufferPointer) -> Void) {
    self.chunkSize = max(chunkSize, 4096)
    capacity = self.chunkSize + 4096
    buffer = .allocate(capacity: capacity)
    self.sink = sink
  }

  deinit { buffer.deallocate() }

  /// Everything written so far (not yet flushed, when streaming).
  var bytes: [UInt8] { Array(UnsafeBufferPointer(start: buffer, count: count)) }

  var string: String { String(decoding: UnsafeBufferPointer(start: buffer, count: count), as: UTF8.self) }

  /// Hands the buffered bytes to the sink (streaming only).
  func flush() {
    guard let sink, count > 0 else { return }
    sink(UnsafeRawBufferPointer(start: buffer, count: count))
    count = 0
  }

  /// Room for `n` more bytes: flushes a full chunk when streaming, else grows geometrically.
  @inline(__always) private func reserve(_ n: Int) {
    if count + n <= capacity { return }
    makeRoom(n)
  }

  private func makeRoom(_ n: Int) {
    if sink != nil && count >= chunkSize { flush() }
    if count + n <= capacity { return }
    let newCapacity = max(capacity * 2, count + n)
    let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
    grown.update(from: buffer, count: count)
    buffer.deallocate()
    buffer = grown
    capacity = newCapacity
  }

  @inline(__always) private func put(_ b: UInt8) {
    reserve(1)
    buffer[count] = b
    count += 1
  }

  @inline(__always) private func put(_ bytes: UnsafeBufferPointer<UInt8>) {
    guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
    reserve(bytes.count)
    (buffer + count).update(from: base, count: bytes.count)
    count += bytes.count
  }

  /// Starts over empty, as if a value had (`commaDue`) or had not just been written: a worker's
  /// writer renders a block of array elements that continues another writer's array.
  func reset(commaDue: Bool) {
    count = 0
    self.commaDue = commaDue
  }

  /// Appends what `other` holds (complete JSON values, e.g. a block of array elements rendered by
  /// another thread) as if written here. When streaming, the block goes to the sink directly.
  func append(contentsOf other: JSONWriter) {
    guard other.count > 0 else { return }
    if let sink {
      flush()
      sink(UnsafeRawBufferPointer(start: other.buffer, count: other.count))
    } else {
      put(UnsafeBufferPointer(start: other.buffer, count: other.count))
    }
    commaDue = true
  }

  @inline(__always) private func separate() {
    if commaDue { put(UInt8(ascii: ",")) }
  }

  func newline() { put(UInt8(ascii: "\n")) }

  func beginObject() {
    separate()
    put(UInt8(ascii: "{"))
    commaDue = false
  }

  func endObject() {
    put(UInt8(ascii: "}"))
    commaDue = true
  }

  func beginArray() {
    separate()
    put(UInt8(ascii: "["))
    commaDue = false
  }

  func endArray() {
    put(UInt8(ascii: "]"))
    commaDue = true
  }

  func key(_ k: StaticString) {
    let n = k.utf8CodeUnitCount
    reserve(n + 4)
    if commaDue {
      buffer[count] = UInt8(ascii: ",")
      count += 1
    }
    buffer[count] = UInt8(ascii: "\"")
    (buffer + count + 1).update(from: k.utf8Start, count: n)
    buffer[count + n + 1] = UInt8(ascii: "\"")
    buffer[count + n + 2] = UInt8(ascii: ":")
    count += n + 3
    commaDue = false
  }

  /// `body`'s object for a value, `null` without one.
  func object<T>(_ value: T?, _ body: (T) -> Void) {
    guard let value else { return null() }
    beginObject()
    body(value)
    endObject()
  }

  func null() {
    separate()
    appendASCII("null")
    commaDue = true
  }

  func bool(_ v: Bool) {
    separate()
    appendASCII(v ? "true" : "false")
    commaDue = true
  }

  func int<T: BinaryInteger>(_ v: T) {
    separate()
    appendDigits(v)
    commaDue = true
  }

  func string(_ s: String) {
    separate()
    put(UInt8(ascii: "\""))
    appendEscaped(s)
    put(UInt8(ascii: "\""))
    commaDue = true
  }

  /// An integer written as a decimal string (64-bit values JavaScript cannot hold exactly).
  func decimalString<T: BinaryInteger>(_ v: T) {
    separate()
    put(UInt8(ascii: "\""))
    appendDigits(v)
    put(UInt8(ascii: "\""))
    commaDue = true
  }

  // Convenience for optional fields.
  func int<T: BinaryInteger>(_ v: T?) { if let v = v { int(v) } else { null() } }
  func bool(_ v: Bool?) { if let v = v { bool(v) } else { null() } }
  func string(_ s: String?) { if let s { string(s) } else { null() } }

  private func appendASCII(_ s: StaticString) {
    put(UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
  }

  @inline(__always) private func appendDigits<T: BinaryInteger>(_ v: T) {
    // Magnitude as UInt64 handles Int64.min; every field katop writes fits 64 bits.
    if v < 0 {
      appendDigits(Int64(truncatingIfNeeded: v).magnitude, negative: true)
    } else {
      appendDigits(UInt64(truncatingIfNeeded: v), negative: false)
    }
  }

  private func appendDigits(_ value: UInt64, negative: Bool) {
    reserve(21)
    if negative {
      buffer[count] = UInt8(ascii: "-")
      count += 1
    }
    var digits = 1
    var rest = value / 10
    while rest > 0 {
      digits += 1
      rest /= 10
    }
    var magnitude = value
    var position = count + digits - 1
    repeat {
      buffer[position] = UInt8(truncatingIfNeeded: magnitude % 10) &+ UInt8(ascii: "0")
      magnitude /= 10
      position -= 1
    } while magnitude > 0
    count += digits
  }

  private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

  /// RFC 8259 escaping: quote, backslash and control characters; also U+2028/U+2029 so the output
  /// is safe inside JavaScript source. Everything else is copied as UTF-8.
  private func appendEscaped(_ s: String) {
    var s = s
    s.withUTF8 { appendEscaped(utf8: $0) }
  }

  private func appendEscaped(utf8: UnsafeBufferPointer<UInt8>) {
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
      if runStart < i { put(UnsafeBufferPointer(rebasing: utf8[runStart..<i])) }
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
    if runStart < n { put(UnsafeBufferPointer(rebasing: utf8[runStart..<n])) }
  }

  private func appendUnicodeEscape(_ v: UInt16) {
    appendASCII("\\u")
    put(JSONWriter.hex[Int(v >> 12) & 0xF])
    put(JSONWriter.hex[Int(v >> 8) & 0xF])
    put(JSONWriter.hex[Int(v >> 4) & 0xF])
    put(JSONWriter.hex[Int(v) & 0xF])
  }
}
