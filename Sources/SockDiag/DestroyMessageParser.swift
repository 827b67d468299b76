// Pure-Swift parser of sock_diag destroy broadcasts (SKNLGRP_INET{,6}_TCP_DESTROY): each message
// is a SOCK_DIAG_BY_FAMILY inet_diag_msg with INET_DIAG_PROTOCOL and INET_DIAG_INFO, sent when a
// TCP socket is freed. Same checks as NetlinkDumpParser (it parses the socket part); adds the
// tcp_info fields only a death needs (bytes_sent, bytes_retrans).

#if canImport(KatopModel)
  import KatopModel
#endif

public enum DestroyMessageParser {
  /// tcp_info offsets of bytes_sent and bytes_retrans (u64 each, Linux 4.19+).
  static let bytesSentOffset = 200
  static let bytesRetransOffset = 208

  /// Every death in one received datagram. Messages of other types are skipped; a malformed
  /// message throws (the caller drops the datagram).
  public static func parse(_ buffer: UnsafeRawBufferPointer, receivedAtMs: UInt64) throws -> [SocketDeath] {
    var deaths: [SocketDeath] = []
    var offset = 0
    while offset < buffer.count {
      let header = try NetlinkMessageHeader(in: buffer, at: offset)
      if header.type == NetlinkConstants.sockDiagByFamily {
        let payload = UnsafeRawBufferPointer(
          rebasing: buffer[(offset + NetlinkConstants.headerSize)..<(offset + header.length)])
        if let record = try NetlinkDumpParser.parseSocket(payload, messageOffset: offset) {
          var death = SocketDeath(record: record, receivedAtMs: receivedAtMs)
          if let info = tcpInfoAttribute(payload) {
            death.bytesSent = u64(info, bytesSentOffset)
            death.bytesRetrans = u64(info, bytesRetransOffset)
          }
          deaths.append(death)
        }
      }
      offset += min(NetlinkConstants.align4(header.length), buffer.count - offset)
    }
    return deaths
  }

  public static func parse(_ bytes: [UInt8], receivedAtMs: UInt64) throws -> [SocketDeath] {
    try bytes.withUnsafeBytes { try parse($0, receivedAtMs: receivedAtMs) }
  }

  /// The INET_DIAG_INFO payload of an inet_diag_msg whose attributes parseSocket has checked.
  static func tcpInfoAttribute(_ p: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
    var offset = NetlinkConstants.inetDiagMsgSize
    while offset + NetlinkConstants.rtattrHeaderSize <= p.count {
      let length = Int(p.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
      let type = p.loadUnaligned(fromByteOffset: offset + 2, as: UInt16.self) & 0x3FFF
      guard length >= NetlinkConstants.rtattrHeaderSize, offset + length <= p.count else { return nil }
      if type == NetlinkConstants.inetDiagInfo { return UnsafeRawBufferPointer(rebasing: p[(offset + 4)..<(offset + length)]) }
      offset += NetlinkConstants.align4(length)
    }
    return nil
  }

  static func u64(_ p: UnsafeRawBufferPointer, _ o: Int) -> UInt64? {
    o + 8 <= p.count ? p.loadUnaligned(fromByteOffset: o, as: UInt64.self) : nil
  }
}
