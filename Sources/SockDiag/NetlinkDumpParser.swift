// Pure-Swift parser of NETLINK_SOCK_DIAG dump replies (inet_diag_msg + rtattrs) into
// SocketRecords. No Foundation, no C shim: a libFuzzer target can compile this file with plain
// swiftc together with the KatopModel sources (hence the conditional import). Every read is
// preceded by a length check; every loop advances; malformed input throws, never traps.

#if canImport(KatopModel)
  import KatopModel
#endif

/// Netlink / sock_diag numbers, written out because the C macros do not import into Swift.
/// The tests compare them with the values the C shim takes from the system headers.
public enum NetlinkConstants {
  public static let headerSize = 16  // struct nlmsghdr
  public static let inetDiagMsgSize = 72  // struct inet_diag_msg
  public static let inetDiagReqV2Size = 56  // struct inet_diag_req_v2
  public static let rtattrHeaderSize = 4
  public static let nlmsgError: UInt16 = 2
  public static let nlmsgDone: UInt16 = 3
  public static let sockDiagByFamily: UInt16 = 20
  /// Legacy dump request (inet_diag_rcv_msg_compat): dumps IPv4 and IPv6 in one hash-table
  /// walk; its replies carry this type too.
  public static let tcpDiagGetSock: UInt16 = 18
  public static let inetDiagReqV1Size = 60  // struct inet_diag_req
  public static let afUnspec: UInt8 = 0
  public static let flagRequest: UInt16 = 0x01
  public static let flagDump: UInt16 = 0x300  // NLM_F_ROOT | NLM_F_MATCH
  public static let flagDumpInterrupted: UInt16 = 0x10
  public static let inetDiagInfo: UInt16 = 2  // attribute carrying struct tcp_info
  public static let inetDiagReqBytecode: UInt16 = 1
  public static let netlinkSockDiag: Int32 = 4
  public static let afInet: UInt8 = 2
  public static let afInet6: UInt8 = 10
  public static let ipprotoTCP: UInt8 = 6
  /// Kernels before 5.5 report an overdue timer as a wrapped negative (~4e9 ms). Anything past
  /// this is treated as "due now".
  public static let maxTimerMs: UInt32 = 0x7FFF_FFFF

  @inline(__always) public static func align4(_ n: Int) -> Int { (n + 3) & ~3 }
}

public enum NetlinkParseError: Error, Equatable, CustomStringConvertible {
  /// Fewer than 16 bytes left where a nlmsghdr should start.
  case truncatedHeader(offset: Int, available: Int)
  /// nlmsg_len < 16 or running past the received bytes.
  case badMessageLength(offset: Int, length: Int, available: Int)
  /// A SOCK_DIAG_BY_FAMILY message shorter than inet_diag_msg.
  case truncatedSocketMessage(offset: Int, length: Int)
  /// An NLMSG_ERROR message too short to carry its error code.
  case truncatedErrorMessage(offset: Int, length: Int)
  /// rtattr length < 4 or running past its message.
  case badAttribute(offset: Int, length: Int, available: Int)
  /// NLMSG_ERROR (or NLMSG_DONE) with a negative errno.
  case kernelError(errno: Int32)
  case sequenceMismatch(expected: UInt32, got: UInt32)

  public var description: String {
    switch self {
    case .truncatedHeader(let o, let a):
      return "netlink reply truncated: \(a) bytes at offset \(o), need 16 for a header"
    case .badMessageLength(let o, let l, let a):
      return "netlink message at offset \(o) has bad length \(l) (\(a) bytes available)"
    case .truncatedSocketMessage(let o, let l):
      return "sock_diag message at offset \(o) too short (\(l) bytes, need 88)"
    case .truncatedErrorMessage(let o, let l):
      return "NLMSG_ERROR at offset \(o) too short (\(l) bytes)"
    case .badAttribute(let o, let l, let a):
      return "rtattr at offset \(o) has bad length \(l) (\(a) bytes available)"
    case .kernelError(let e):
      return "kernel answered the sock_diag dump with errno \(e)"
    case .sequenceMismatch(let e, let g):
      return "netlink sequence mismatch: expected \(e), got \(g)"
    }
  }
}

/// The nlmsghdr at `offset` of a received datagram, checked: at least a header's worth of bytes,
/// and a length that covers the header and stays inside the datagram.
struct NetlinkMessageHeader {
  var length: Int
  var type: UInt16
  var flags: UInt16
  var sequence: UInt32

  init(in buffer: UnsafeRawBufferPointer, at offset: Int) throws {
    let available = buffer.count - offset
    guard available >= NetlinkConstants.headerSize else {
      throw NetlinkParseError.truncatedHeader(offset: offset, available: available)
    }
    length = Int(buffer.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    guard length >= NetlinkConstants.headerSize, length <= available else {
      throw NetlinkParseError.badMessageLength(offset: offset, length: length, available: available)
    }
    type = buffer.loadUnaligned(fromByteOffset: offset + 4, as: UInt16.self)
    flags = buffer.loadUnaligned(fromByteOffset: offset + 6, as: UInt16.self)
    sequence = buffer.loadUnaligned(fromByteOffset: offset + 8, as: UInt32.self)
  }

  /// The errno of an NLMSG_ERROR / NLMSG_DONE code (the kernel sends -errno; Int32.min, which
  /// has no positive counterpart, reads as 0).
  @inline(__always) static func errno(fromCode code: Int32) -> Int32 { code == Int32.min ? 0 : -code }
}

/// Parses the datagrams of one dump. Keep one parser per dump request: it remembers whether
/// NLMSG_DONE was seen and whether any message carried NLM_F_DUMP_INTR.
public struct NetlinkDumpParser {
  /// When set, every message must carry this nlmsg_seq.
  public var expectedSequence: UInt32?
  public private(set) var done = false
  /// True when any message carried NLM_F_DUMP_INTR: the socket list may be incomplete.
  public private(set) var interrupted = false
  /// Socket messages seen (including ones skipped for an unknown state).
  public private(set) var socketMessages = 0

  public init(expectedSequence: UInt32? = nil) {
    self.expectedSequence = expectedSequence
  }

  /// Parses one received datagram, appending a record per socket message. Returns true once
  /// NLMSG_DONE has been seen (later messages in the buffer are ignored).
  @discardableResult
  public mutating func parse(_ buffer: UnsafeRawBufferPointer, into records: inout [SocketRecord])
    throws -> Bool
  {
    let total = buffer.count
    var offset = 0
    while offset < total && !done {
      let available = total - offset
      let header = try NetlinkMessageHeader(in: buffer, at: offset)
      let (length, type, flags, sequence) = (header.length, header.type, header.flags, header.sequence)
      if let expected = expectedSequence, sequence != expected {
        throw NetlinkParseError.sequenceMismatch(expected: expected, got: sequence)
      }
      if flags & NetlinkConstants.flagDumpInterrupted != 0 { interrupted = true }
      let payload = UnsafeRawBufferPointer(
        rebasing: buffer[(offset + NetlinkConstants.headerSize)..<(offset + length)])
      switch type {
      case NetlinkConstants.nlmsgDone:
        // A dump may end with a negative errno in NLMSG_DONE's int payload.
        if payload.count >= 4 {
          let code = payload.loadUnaligned(fromByteOffset: 0, as: Int32.self)
          if code < 0 { throw NetlinkParseError.kernelError(errno: NetlinkMessageHeader.errno(fromCode: code)) }
        }
        done = true
      case NetlinkConstants.nlmsgError:
        guard payload.count >= 4 else {
          throw NetlinkParseError.truncatedErrorMessage(offset: offset, length: length)
        }
        let code = payload.loadUnaligned(fromByteOffset: 0, as: Int32.self)
        if code < 0 { throw NetlinkParseError.kernelError(errno: NetlinkMessageHeader.errno(fromCode: code)) }
        // error 0 is an ACK: nothing to do.
      case NetlinkConstants.sockDiagByFamily, NetlinkConstants.tcpDiagGetSock:
        // parseSocket checks the length (truncatedSocketMessage).
        let record = try NetlinkDumpParser.parseSocket(payload, messageOffset: offset)
        socketMessages += 1
        if let record { records.append(record) }
      default:
        break  // NLMSG_NOOP, NLMSG_OVERRUN and anything newer: skip.
      }
      // Always advances: length >= 16. The last message may lack its alignment padding.
      offset += min(NetlinkConstants.align4(length), available)
    }
    return done
  }

  /// Convenience for tests and fuzzing: parses bytes held in an array slice.
  @discardableResult
  public mutating func parse(_ bytes: ArraySlice<UInt8>, into records: inout [SocketRecord]) throws
    -> Bool
  {
    try bytes.withUnsafeBytes { try parse($0, into: &records) }
  }

  /// Decodes one inet_diag_msg payload (at least 72 bytes) and its attributes. Returns nil for a
  /// socket in a state katop does not know (a newer kernel); throws on malformed attributes.
  public static func parseSocket(_ p: UnsafeRawBufferPointer, messageOffset: Int = 0) throws
    -> SocketRecord?
  {
    guard p.count >= NetlinkConstants.inetDiagMsgSize else {
      throw NetlinkParseError.truncatedSocketMessage(offset: messageOffset, length: p.count + 16)
    }
    let family = p.load(fromByteOffset: 0, as: UInt8.self)
    guard let state = TCPState(rawValue: p.load(fromByteOffset: 1, as: UInt8.self)) else {
      return nil
    }
    let timerCode = p.load(fromByteOffset: 2, as: UInt8.self)
    let retrans = p.load(fromByteOffset: 3, as: UInt8.self)
    let sport = UInt16(bigEndian: p.loadUnaligned(fromByteOffset: 4, as: UInt16.self))
    let dport = UInt16(bigEndian: p.loadUnaligned(fromByteOffset: 6, as: UInt16.self))
    let src = address(p, at: 8, family: family)
    let dst = address(p, at: 24, family: family)
    let interface = p.loadUnaligned(fromByteOffset: 40, as: UInt32.self)
    let cookieLow = UInt64(p.loadUnaligned(fromByteOffset: 44, as: UInt32.self))
    let cookieHigh = UInt64(p.loadUnaligned(fromByteOffset: 48, as: UInt32.self))
    var expires = p.loadUnaligned(fromByteOffset: 52, as: UInt32.self)
    if expires > NetlinkConstants.maxTimerMs { expires = 0 }
    var record = SocketRecord(
      family: family, state: state,
      local: Endpoint(address: src, port: sport), remote: Endpoint(address: dst, port: dport),
      timer: TimerKind(kernelCode: timerCode), timerExpiresMs: expires, timerCount: retrans,
      recvQueue: p.loadUnaligned(fromByteOffset: 56, as: UInt32.self),
      sendQueue: p.loadUnaligned(fromByteOffset: 60, as: UInt32.self),
      uid: p.loadUnaligned(fromByteOffset: 64, as: UInt32.self),
      inode: p.loadUnaligned(fromByteOffset: 68, as: UInt32.self),
      cookie: cookieHigh << 32 | cookieLow, interface: interface)

    // rtattrs follow the 72-byte header (already 4-aligned).
    var offset = NetlinkConstants.inetDiagMsgSize
    let total = p.count
    while offset < total {
      let available = total - offset
      guard available >= NetlinkConstants.rtattrHeaderSize else {
        throw NetlinkParseError.badAttribute(
          offset: messageOffset + 16 + offset, length: available, available: available)
      }
      let length = Int(p.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
      let type = p.loadUnaligned(fromByteOffset: offset + 2, as: UInt16.self) & 0x3FFF  // drop NLA_F_*
      guard length >= NetlinkConstants.rtattrHeaderSize, length <= available else {
        throw NetlinkParseError.badAttribute(
          offset: messageOffset + 16 + offset, length: length, available: available)
      }
      if type == NetlinkConstants.inetDiagInfo {
        record.info = parseTCPInfo(UnsafeRawBufferPointer(rebasing: p[(offset + 4)..<(offset + length)]))
      }
      offset += min(NetlinkConstants.align4(length), available)
    }
    return record
  }

  /// Reads the struct tcp_info fields katop uses by byte offset; a field the payload is too
  /// short to hold stays nil.
  public static func parseTCPInfo(_ p: UnsafeRawBufferPointer) -> TCPInfo {
    let n = p.count
    @inline(__always) func u8(_ o: Int) -> UInt8? { o + 1 <= n ? p.load(fromByteOffset: o, as: UInt8.self) : nil }
    @inline(__always) func u32(_ o: Int) -> UInt32? {
      o + 4 <= n ? p.loadUnaligned(fromByteOffset: o, as: UInt32.self) : nil
    }
    @inline(__always) func u64(_ o: Int) -> UInt64? {
      o + 8 <= n ? p.loadUnaligned(fromByteOffset: o, as: UInt64.self) : nil
    }
    var info = TCPInfo()
    info.length = n
    info.retransmits = u8(2)
    info.probes = u8(3)
    info.backoff = u8(4)
    info.rtoUs = u32(8)
    info.unacked = u32(24)
    info.retrans = u32(36)
    info.lastDataSentMs = u32(44)
    info.lastDataRecvMs = u32(52)
    info.lastAckRecvMs = u32(56)
    info.rttUs = u32(68)
    info.rttVarUs = u32(72)
    info.totalRetrans = u32(100)
    info.bytesAcked = u64(120)
    info.bytesReceived = u64(128)
    info.segsOut = u32(136)
    info.segsIn = u32(140)
    info.notsentBytes = u32(144)
    info.sndWnd = u32(228)
    // tcpi_state 1 (ESTABLISHED), nothing unacked: bytes_acked - (bytes_sent - bytes_retrans) is
    // the SYN's 1 or 0 (offsets 200 / 208 hold bytes_sent / bytes_retrans).
    if u8(0) == 1, info.unacked == 0, let acked = info.bytesAcked, let sent = u64(200), let retrans = u64(208),
      sent >= retrans, acked >= sent - retrans, acked - (sent - retrans) <= 1
    {
      info.synCredit = UInt8(acked - (sent - retrans))
    }
    return info
  }

  /// An inet_diag_sockid address (16 bytes at `offset`, network order). The caller has checked
  /// that offset + 16 is in bounds.
  @inline(__always)
  static func address(_ p: UnsafeRawBufferPointer, at offset: Int, family: UInt8) -> IPAddress {
    if family == NetlinkConstants.afInet6 {
      return .v6(
        hi: UInt64(bigEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt64.self)),
        lo: UInt64(bigEndian: p.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self)))
    }
    return .v4(
      p.load(fromByteOffset: offset, as: UInt8.self), p.load(fromByteOffset: offset + 1, as: UInt8.self),
      p.load(fromByteOffset: offset + 2, as: UInt8.self), p.load(fromByteOffset: offset + 3, as: UInt8.self))
  }
}
