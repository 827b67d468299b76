// Pure-Swift parser of /proc/net/tcp and /proc/net/tcp6 (the fallback when sock_diag is not
// available). No Foundation, no C shim. Works on raw bytes, line by line; a malformed line
// throws.
//
// Line format (net/ipv4/tcp_ipv4.c get_tcp4_sock, tcp6 alike):
//   sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...
// - addresses: IPv4 = the in-memory (network order) u32 printed as a host-order %08X, so on
//   little-endian 127.0.0.1 prints as 0100007F; IPv6 = four such words. Ports %04X host order.
// - tr = timer code (same numbering as idiag_timer); tm->when = clock ticks (USER_HZ = 100) until
//   it fires; retrnsmt = icsk_retransmits; timeout = icsk_probes_out.
// sock_diag's idiag_retrans is icsk_retransmits for the retransmit timer and icsk_probes_out for
// the keepalive and zero-window-probe timers (0 otherwise): timerCount follows that rule.

#if canImport(KatopModel)
  import KatopModel
#endif

public struct ProcParseError: Error, Equatable, CustomStringConvertible {
  public var line: Int
  public var reason: String
  public var description: String { "/proc/net/tcp line \(line): \(reason)" }
}

public enum ProcNetTCPParser {
  /// USER_HZ: the unit of the tm->when column.
  public static let ticksPerSecond: UInt64 = 100

  /// Parses a whole /proc/net/tcp or tcp6 file. Records whose state is not in `states` (a
  /// TCPState.mask bitmask) are dropped.
  public static func parse(_ bytes: ArraySlice<UInt8>, states: UInt32 = 0xFFFF_FFFF, into records: inout [SocketRecord])
    throws
  {
    var lineNumber = 0
    var start = bytes.startIndex
    while start < bytes.endIndex {
      var end = start
      while end < bytes.endIndex && bytes[end] != 10 { end += 1 }
      lineNumber += 1
      let line = bytes[start..<end]
      start = end + 1
      if lineNumber == 1 { continue }  // header
      if line.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 13 }) { continue }
      if let record = try parseLine(line, lineNumber: lineNumber), states & record.state.mask != 0 {
        records.append(record)
      }
    }
  }

  /// One data line. Returns nil for an unknown state number.
  public static func parseLine(_ line: ArraySlice<UInt8>, lineNumber: Int = 0) throws -> SocketRecord? {
    var fields = FieldReader(line: line)
    func fail(_ reason: String) -> ProcParseError { ProcParseError(line: lineNumber, reason: reason) }
    guard fields.next() != nil else { throw fail("empty line") }  // "sl:"
    guard let localField = fields.next(), let (localAddress, localPort) = endpoint(localField) else {
      throw fail("bad local address")
    }
    guard let remoteField = fields.next(), let (remoteAddress, remotePort) = endpoint(remoteField) else {
      throw fail("bad remote address")
    }
    guard let stateField = fields.next(), let stateNumber = hex(stateField), stateNumber <= 0xFF else {
      throw fail("bad state")
    }
    guard let queues = fields.next(), let (tx, rx) = hexPair(queues) else { throw fail("bad queues") }
    guard let timerField = fields.next(), let (timerCode, ticks) = hexPair(timerField) else {
      throw fail("bad timer")
    }
    guard let retransmitsField = fields.next(), let retransmits = hex(retransmitsField) else {
      throw fail("bad retrnsmt")
    }
    guard let uidField = fields.next(), let uid = decimal(uidField) else { throw fail("bad uid") }
    guard let probesField = fields.next(), let probesOut = decimal(probesField) else {
      throw fail("bad timeout")
    }
    guard let inodeField = fields.next(), let inode = decimal(inodeField) else { throw fail("bad inode") }
    guard let state = TCPState(rawValue: UInt8(stateNumber)) else { return nil }

    let timer = TimerKind(kernelCode: UInt8(truncatingIfNeeded: min(timerCode, 0xFF)))
    let count: UInt64
    switch timer {
    case .retransmit: count = retransmits
    case .keepalive, .persist: count = probesOut
    default: count = 0
    }
    // tm->when is an unsigned long of ticks; a huge value is an overdue timer: clamp.
    let ms = ticks > UInt64(NetlinkConstants.maxTimerMs) / 10 ? 0 : ticks * 1000 / ticksPerSecond
    let family = localAddress.isV6 ? NetlinkConstants.afInet6 : NetlinkConstants.afInet
    return SocketRecord(
      family: family, state: state,
      local: Endpoint(address: localAddress, port: localPort),
      remote: Endpoint(address: remoteAddress, port: remotePort),
      timer: timer, timerExpiresMs: UInt32(ms), timerCount: UInt8(min(count, 0xFF)),
      recvQueue: UInt32(truncatingIfNeeded: rx), sendQueue: UInt32(truncatingIfNeeded: tx),
      uid: UInt32(truncatingIfNeeded: uid), inode: UInt32(truncatingIfNeeded: inode))
  }

  /// "0100007F:1F90" or 32 hex digits + ":PORT".
  static func endpoint(_ field: ArraySlice<UInt8>) -> (IPAddress, UInt16)? {
    guard let colon = field.firstIndex(of: 58) else { return nil }  // ':'
    let addressHex = field[field.startIndex..<colon]
    guard let port = hex(field[(colon + 1)...]), port <= 0xFFFF else { return nil }
    switch addressHex.count {
    case 8:
      guard let word = hex(addressHex) else { return nil }
      let b = memoryBytes(UInt32(word))
      return (.v4(b.0, b.1, b.2, b.3), UInt16(port))
    case 32:
      var hi: UInt64 = 0
      var lo: UInt64 = 0
      var index = addressHex.startIndex
      for w in 0..<4 {
        guard let word = hex(addressHex[index..<(index + 8)]) else { return nil }
        index += 8
        let b = memoryBytes(UInt32(word))
        let value = UInt64(b.0) << 24 | UInt64(b.1) << 16 | UInt64(b.2) << 8 | UInt64(b.3)
        let shifted = value << (w % 2 == 0 ? 32 : 0)
        if w < 2 { hi |= shifted } else { lo |= shifted }
      }
      return (.v6(hi: hi, lo: lo), UInt16(port))
    default:
      return nil
    }
  }

  /// The four bytes the kernel had in memory for a word it printed with %08X.
  @inline(__always) static func memoryBytes(_ word: UInt32) -> (UInt8, UInt8, UInt8, UInt8) {
    let le = word.littleEndian
    return (
      UInt8(truncatingIfNeeded: le), UInt8(truncatingIfNeeded: le >> 8),
      UInt8(truncatingIfNeeded: le >> 16), UInt8(truncatingIfNeeded: le >> 24)
    )
  }

  static func hexPair(_ field: ArraySlice<UInt8>) -> (UInt64, UInt64)? {
    guard let colon = field.firstIndex(of: 58), let a = hex(field[field.startIndex..<colon]),
      let b = hex(field[(colon + 1)...])
    else { return nil }
    return (a, b)
  }

  static func hex(_ s: ArraySlice<UInt8>) -> UInt64? {
    guard !s.isEmpty, s.count <= 16 else { return nil }
    var v: UInt64 = 0
    for c in s {
      let d: UInt8
      switch c {
      case 48...57: d = c - 48
      case 65...70: d = c - 55
      case 97...102: d = c - 87
      default: return nil
      }
      v = v << 4 | UInt64(d)
    }
    return v
  }

  static func decimal(_ s: ArraySlice<UInt8>) -> UInt64? {
    guard !s.isEmpty, s.count <= 19 else { return nil }
    var v: UInt64 = 0
    for c in s {
      guard c >= 48 && c <= 57 else { return nil }
      v = v * 10 + UInt64(c - 48)
    }
    return v
  }

  /// Splits a line on spaces/tabs without allocating.
  struct FieldReader {
    var line: ArraySlice<UInt8>
    var position: Int
    init(line: ArraySlice<UInt8>) {
      self.line = line
      self.position = line.startIndex
    }
    mutating func next() -> ArraySlice<UInt8>? {
      while position < line.endIndex && (line[position] == 32 || line[position] == 9) { position += 1 }
      guard position < line.endIndex else { return nil }
      let start = position
      while position < line.endIndex && line[position] != 32 && line[position] != 9 && line[position] != 13 {
        position += 1
      }
      return line[start..<position]
    }
  }
}
