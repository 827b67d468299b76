// Exact sock_diag lookups of known sockets: a SOCK_DIAG_BY_FAMILY request WITHOUT NLM_F_DUMP
// makes the kernel find one socket by its id with a hash lookup (tcp_diag_find_one_icsk /
// inet_diag_find_one_icsk: inet_lookup / inet6_lookup on {dst, dport, src, sport, if}, then
// sock_diag_check_cookie) instead of walking the whole TCP hash. The kernel answers each request
// with exactly one message: the inet_diag_msg (+ attributes, as in a dump) or NLMSG_ERROR
// (ENOENT not found, ESTALE cookie mismatch ...). Pure Swift like NetlinkDumpParser.

#if canImport(KatopModel)
  import KatopModel
#endif

extension InetDiagRequest {
  /// nlmsghdr (NLM_F_REQUEST only: an exact lookup) + inet_diag_req_v2 whose id is `record`'s:
  /// family, ports (network order), local address as src and remote as dst (16 bytes each,
  /// network order, IPv4 in the first 4), idiag_if and the cookie (low u32, high u32, host
  /// order) exactly as a dump reported them. idiag_ext asks for INET_DIAG_INFO; idiag_states
  /// is ignored by the kernel for a lookup (all states).
  public static func lookupRequest(of record: SocketRecord, sequence: UInt32) -> [UInt8] {
    let length = NetlinkConstants.headerSize + NetlinkConstants.inetDiagReqV2Size
    var bytes: [UInt8] = []
    bytes.reserveCapacity(length)
    appendLookupRequest(of: record, sequence: sequence, to: &bytes)
    return bytes
  }

  /// Appends one lookup request (72 bytes) to `bytes`, for batching several into one send().
  public static func appendLookupRequest(of record: SocketRecord, sequence: UInt32, to bytes: inout [UInt8]) {
    appendExactRequest(
      of: record, type: NetlinkConstants.sockDiagByFamily, flags: NetlinkConstants.flagRequest, sequence: sequence,
      to: &bytes)
  }

  /// nlmsghdr of `type` / `flags` + inet_diag_req_v2 naming exactly `record` (5-tuple, interface,
  /// cookie): a lookup, or a SOCK_DESTROY (SocketTerminator).
  static func appendExactRequest(
    of record: SocketRecord, type: UInt16, flags: UInt16, sequence: UInt32, to bytes: inout [UInt8]
  ) {
    appendMessage(
      type: type, flags: flags,
      bodySize: NetlinkConstants.inetDiagReqV2Size, sequence: sequence, bytecode: [], to: &bytes
    ) { bytes in
      appendReqV2Head(&bytes, family: record.family, states: 0xFFFF_FFFF)
      // struct inet_diag_sockid
      appendBigEndianU16(&bytes, record.local.port)  // idiag_sport
      appendBigEndianU16(&bytes, record.remote.port)  // idiag_dport
      appendAddress(&bytes, record.local.address)  // idiag_src
      appendAddress(&bytes, record.remote.address)  // idiag_dst
      appendU32(&bytes, record.interface)  // idiag_if
      appendU32(&bytes, UInt32(truncatingIfNeeded: record.cookie))  // idiag_cookie[0]
      appendU32(&bytes, UInt32(truncatingIfNeeded: record.cookie >> 32))  // idiag_cookie[1]
    }
  }

  @inline(__always) static func appendBigEndianU16(_ bytes: inout [UInt8], _ v: UInt16) {
    bytes.append(UInt8(v >> 8))
    bytes.append(UInt8(v & 0xFF))
  }

  /// 16 bytes in network order; an IPv4 address fills the first 4 (as the dump reports it).
  static func appendAddress(_ bytes: inout [UInt8], _ address: IPAddress) {
    switch address {
    case .v4(let a, let b, let c, let d):
      bytes.append(contentsOf: [a, b, c, d])
      bytes.append(contentsOf: repeatElement(0, count: 12))
    case .v6(let hi, let lo):
      withUnsafeBytes(of: hi.bigEndian) { bytes.append(contentsOf: $0) }
      withUnsafeBytes(of: lo.bigEndian) { bytes.append(contentsOf: $0) }
    }
  }
}

/// Why a batch of lookups could not stand in for a walk. Any of these means "walk instead".
public enum LookupMiss: Error, Equatable, CustomStringConvertible {
  /// NLMSG_ERROR for request `index`: ENOENT (gone), ESTALE (same 4-tuple, another socket) ...
  case kernel(errno: Int32, index: Int)
  /// A reply that is not what a lookup answers (unknown sequence, a second reply, NLMSG_DONE,
  /// an ACK, a state katop does not know, malformed bytes).
  case unexpected(String)
  /// The kernel found a socket that is not the one asked for, or that changed state.
  case changed(index: Int, why: String)

  public var description: String {
    switch self {
    case .kernel(let e, let i): return "lookup \(i): kernel errno \(e)"
    case .unexpected(let why): return "unexpected lookup reply: \(why)"
    case .changed(let i, let why): return "lookup \(i): \(why)"
    }
  }
}

/// Collects the replies to `count` lookups sent with sequences `firstSequence`,
/// `firstSequence &+ 1`, ... Feed it every received datagram until `complete`.
public struct LookupReplyParser {
  public let firstSequence: UInt32
  public let count: Int
  /// One slot per request, filled by its reply.
  public private(set) var records: [SocketRecord?]
  public private(set) var answered = 0
  public var complete: Bool { answered == count }

  public init(firstSequence: UInt32, count: Int) {
    self.firstSequence = firstSequence
    self.count = count
    records = Array(repeating: nil, count: count)
  }

  /// Parses one datagram. Throws LookupMiss for an error reply or anything unexpected, and
  /// NetlinkParseError for malformed framing or attributes.
  public mutating func parse(_ buffer: UnsafeRawBufferPointer) throws {
    let total = buffer.count
    var offset = 0
    while offset < total {
      let available = total - offset
      let header = try NetlinkMessageHeader(in: buffer, at: offset)
      let (length, type, sequence) = (header.length, header.type, header.sequence)
      let index = Int(sequence &- firstSequence)
      guard index >= 0, index < count else {
        throw LookupMiss.unexpected("sequence \(sequence) outside \(firstSequence)+\(count)")
      }
      let payload = UnsafeRawBufferPointer(
        rebasing: buffer[(offset + NetlinkConstants.headerSize)..<(offset + length)])
      switch type {
      case NetlinkConstants.nlmsgError:
        guard payload.count >= 4 else {
          throw NetlinkParseError.truncatedErrorMessage(offset: offset, length: length)
        }
        let code = payload.loadUnaligned(fromByteOffset: 0, as: Int32.self)
        if code == 0 { throw LookupMiss.unexpected("ACK for lookup \(index)") }
        throw LookupMiss.kernel(errno: NetlinkMessageHeader.errno(fromCode: code), index: index)
      case NetlinkConstants.sockDiagByFamily:
        guard records[index] == nil else { throw LookupMiss.unexpected("second reply to lookup \(index)") }
        guard let record = try NetlinkDumpParser.parseSocket(payload, messageOffset: offset) else {
          throw LookupMiss.unexpected("unknown TCP state in reply to lookup \(index)")
        }
        records[index] = record
        answered += 1
      default:
        throw LookupMiss.unexpected("message type \(type) for lookup \(index)")
      }
      offset += min(NetlinkConstants.align4(length), available)
    }
  }

  /// Convenience for tests: parses bytes held in an array slice.
  public mutating func parse(_ bytes: ArraySlice<UInt8>) throws {
    try bytes.withUnsafeBytes { try parse($0) }
  }
}
