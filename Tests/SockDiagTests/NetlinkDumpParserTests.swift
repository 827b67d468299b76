import CKatopNetlink
import KatopModel
import XCTest

@testable import SockDiag

/// A real reply captured on Linux 6.18 for one ESTABLISHED 127.0.0.1:59392 -> 127.0.0.1:36173
/// client socket with SO_KEEPALIVE + TCP_KEEPIDLE 45 (request: INET_DIAG_INFO, S_COND port 59392).
let capturedReply: [UInt8] = hexBytes(
  // nlmsghdr: len 408, type 20 SOCK_DIAG_BY_FAMILY, flags 0x0002 NLM_F_MULTI, seq 77, pid 6819
  "98010000 1400 0200 4d000000 a31a0000"
    // inet_diag_msg: family 2, state 1 ESTABLISHED, timer 2 keepalive, retrans 0
    + "02 01 02 00"
    // sport 59392, dport 36173 (big-endian)
    + "e800 8d4d"
    // src 127.0.0.1 (+12 zero bytes), dst 127.0.0.1 (+12 zero bytes)
    + "7f000001 00000000 00000000 00000000"
    + "7f000001 00000000 00000000 00000000"
    // if 0, cookie 15 (u32 low, u32 high)
    + "00000000 0f000000 00000000"
    // expires 44696 ms, rqueue 0, wqueue 0, uid 0, inode 20024
    + "98ae0000 00000000 00000000 00000000 384e0000"
    // rtattr len 5 type 8 INET_DIAG_SHUTDOWN: 0 (+3 pad)
    + "0500 0800 00000000"
    // rtattr len 8 type 15 INET_DIAG_PROTOCOL... (ignored)
    + "0800 0f00 00000000"
    // rtattr len 12 type 21 INET_DIAG_CGROUP_ID: u64 1
    + "0c00 1500 01000000 00000000"
    // rtattr len 6 type 22 INET_DIAG_SOCKOPT (+2 pad)
    + "0600 1600 52000000"
    // rtattr len 284 type 2 INET_DIAG_INFO: struct tcp_info, 280 bytes
    + "1c01 0200"
    // 0: state 1, ca_state 0, retransmits 0, probes 0, backoff 0, options 7, wscale aa, flags 01
    + "01000000 0007aa01"
    // 8: rto 204000 us, ato 0, snd_mss 32768, rcv_mss 536
    + "e01c0300 00000000 00800000 18020000"
    // 24: unacked 0, sacked 0, lost 0, retrans 0, fackets 0
    + "00000000 00000000 00000000 00000000 00000000"
    // 44: last_data_sent 304, last_ack_sent 0, last_data_recv 304, last_ack_recv 304
    + "30010000 00000000 30010000 30010000"
    // 60: pmtu 65535, rcv_ssthresh 65495, rtt 32 us, rttvar 18, snd_ssthresh 0x7fffffff ... (to 280)
    + "ffff0000 d7ff0000 20000000 12000000 ffffff7f 0b000000 cbff0000 03000000"
    + "00000000 d7ff0000 00000000 efb4340d 06000000 ffffffff ffffffff 06000000"
    + "00000000 00000000 00000000 03000000 02000000 00000000 07000000 00000000"
    + "01000000 49920417 01000000 00000000 00000000 00000000 00000000 00000000"
    + "00000000 02000000 00000000 05000000 00000000 00000000 00000000 00000000"
    + "00000000 00000000 00000100 00000100 00000000 00000000 00000000 00000000"
    + "00000000 00000000 00000000 00000000 00000000 00000000 00000000")

let doneMessage: [UInt8] = hexBytes("14000000 0300 0200 4d000000 a31a0000 00000000")

func parseAll(_ bytes: [UInt8], sequence: UInt32? = 77) throws -> (NetlinkDumpParser, [SocketRecord]) {
  var parser = NetlinkDumpParser(expectedSequence: sequence)
  var records: [SocketRecord] = []
  try parser.parse(bytes[...], into: &records)
  return (parser, records)
}

final class NetlinkDumpParserTests: XCTestCase {
  func testCapturedReplyDecodesEveryField() throws {
    XCTAssertEqual(capturedReply.count, 408)
    let (parser, records) = try parseAll(capturedReply + doneMessage)
    XCTAssertTrue(parser.done)
    XCTAssertFalse(parser.interrupted)
    XCTAssertEqual(records.count, 1)
    let r = try XCTUnwrap(records.first)
    XCTAssertEqual(r.family, 2)
    XCTAssertEqual(r.state, .established)
    XCTAssertEqual(r.timer, .keepalive)
    XCTAssertEqual(r.timerCount, 0)
    XCTAssertEqual(r.local, Endpoint(address: .v4(127, 0, 0, 1), port: 59392))
    XCTAssertEqual(r.remote, Endpoint(address: .v4(127, 0, 0, 1), port: 36173))
    XCTAssertEqual(r.timerExpiresMs, 44696)
    XCTAssertEqual(r.cookie, 15)
    XCTAssertEqual(r.inode, 20024)
    XCTAssertEqual(r.uid, 0)
    XCTAssertEqual(r.recvQueue, 0)
    XCTAssertEqual(r.sendQueue, 0)
    let info = try XCTUnwrap(r.info)
    XCTAssertEqual(info.length, 280)
    XCTAssertEqual(info.rtoUs, 204_000)
    XCTAssertEqual(info.lastDataSentMs, 304)
    XCTAssertEqual(info.lastDataRecvMs, 304)
    XCTAssertEqual(info.lastAckRecvMs, 304)
    XCTAssertEqual(info.rttUs, 32)
    XCTAssertEqual(info.rttVarUs, 18)
    XCTAssertEqual(info.probes, 0)
    XCTAssertEqual(info.unacked, 0)
    XCTAssertNotNil(info.sndWnd)
  }

  func testWithoutDoneTheDumpIsNotFinished() throws {
    let (parser, records) = try parseAll(capturedReply)
    XCTAssertFalse(parser.done)
    XCTAssertEqual(records.count, 1)
  }

  func testTruncatedAtEveryLengthThrowsAndNeverTraps() {
    for length in 1..<capturedReply.count {
      var parser = NetlinkDumpParser()
      var records: [SocketRecord] = []
      XCTAssertThrowsError(try parser.parse(capturedReply[0..<length], into: &records), "length \(length)")
      XCTAssertTrue(records.isEmpty)
    }
  }

  func testZeroLengthBufferParsesNothing() throws {
    let (parser, records) = try parseAll([])
    XCTAssertFalse(parser.done)
    XCTAssertTrue(records.isEmpty)
  }

  func testMessageLengthBelowHeaderSizeIsRejected() {
    for bad: UInt8 in [0, 1, 15] {
      var bytes = doneMessage
      bytes[0] = bad
      XCTAssertThrowsError(try parseAll(bytes)) { error in
        XCTAssertEqual(
          error as? NetlinkParseError, .badMessageLength(offset: 0, length: Int(bad), available: 20))
      }
    }
  }

  func testMessageLengthPastTheBufferIsRejected() {
    var bytes = doneMessage
    bytes[0] = 24
    XCTAssertThrowsError(try parseAll(bytes)) { error in
      XCTAssertEqual(error as? NetlinkParseError, .badMessageLength(offset: 0, length: 24, available: 20))
    }
  }

  func testNlmsgErrorCarriesErrno() {
    // nlmsghdr len 36 type 2 NLMSG_ERROR; error -1 (EPERM); echoed request header.
    let bytes = hexBytes("24000000 0200 0000 4d000000 00000000 ffffffff")
      + hexBytes("48000000 1400 0103 4d000000 00000000")
    XCTAssertThrowsError(try parseAll(bytes)) { error in
      XCTAssertEqual(error as? NetlinkParseError, .kernelError(errno: 1))
    }
  }

  func testNlmsgErrorZeroIsAnAck() throws {
    let bytes = hexBytes("14000000 0200 0000 4d000000 00000000 00000000")
    let (parser, records) = try parseAll(bytes)
    XCTAssertFalse(parser.done)
    XCTAssertTrue(records.isEmpty)
  }

  func testTruncatedNlmsgErrorThrows() {
    let bytes = hexBytes("12000000 0200 0000 4d000000 00000000 ffff")
    XCTAssertThrowsError(try parseAll(bytes))
  }

  func testDoneWithNegativeErrnoThrows() {
    var bytes = doneMessage
    bytes.replaceSubrange(16..<20, with: hexBytes("f4ffffff"))  // -12 ENOMEM
    XCTAssertThrowsError(try parseAll(bytes)) { error in
      XCTAssertEqual(error as? NetlinkParseError, .kernelError(errno: 12))
    }
  }

  func testDumpInterruptedFlagIsReported() throws {
    var bytes = capturedReply
    bytes[6] |= 0x10  // NLM_F_DUMP_INTR
    let (parser, records) = try parseAll(bytes + doneMessage)
    XCTAssertTrue(parser.interrupted)
    XCTAssertTrue(parser.done)
    XCTAssertEqual(records.count, 1)
  }

  func testSequenceMismatchIsRejected() {
    XCTAssertThrowsError(try parseAll(capturedReply, sequence: 78)) { error in
      XCTAssertEqual(error as? NetlinkParseError, .sequenceMismatch(expected: 78, got: 77))
    }
  }

  func testShortTCPInfoLeavesLaterFieldsNil() throws {
    // Keep the 88-byte header and a 104-byte tcp_info (the size of 3.x kernels).
    let header = Array(capturedReply[0..<88])
    let tcpInfo = Array(capturedReply[(408 - 280)..<(408 - 280 + 104)])
    var bytes = header + hexBytes("6c00 0200") + tcpInfo  // rtattr len 108 type INFO
    bytes.replaceSubrange(0..<4, with: withUnsafeBytes(of: UInt32(bytes.count).littleEndian, Array.init))
    let (_, records) = try parseAll(bytes)
    let info = try XCTUnwrap(records.first?.info)
    XCTAssertEqual(info.length, 104)
    XCTAssertEqual(info.rtoUs, 204_000)
    XCTAssertEqual(info.lastAckRecvMs, 304)
    XCTAssertEqual(info.rttUs, 32)
    XCTAssertNotNil(info.totalRetrans)  // offset 100 + 4 = 104: still inside
    XCTAssertNil(info.bytesAcked)
    XCTAssertNil(info.bytesReceived)
    XCTAssertNil(info.notsentBytes)
    XCTAssertNil(info.segsOut)  // offsets 136 / 140
    XCTAssertNil(info.segsIn)
    XCTAssertNil(info.sndWnd)
  }

  func testTCPInfoOfOddLengthsNeverReadsPastTheEnd() {
    let tcpInfo = Array(capturedReply[(408 - 280)...])
    for length in 0...tcpInfo.count {
      let info = tcpInfo[0..<length].withUnsafeBytes { NetlinkDumpParser.parseTCPInfo($0) }
      XCTAssertEqual(info.length, length)
      XCTAssertEqual(info.sndWnd != nil, length >= 232)
      XCTAssertEqual(info.retransmits != nil, length >= 3)
    }
  }

  func testAttributeLengthBelowFourIsRejected() {
    for bad: UInt8 in [0, 1, 3] {
      var bytes = capturedReply
      bytes[88] = bad  // first rtattr's length (low byte)
      XCTAssertThrowsError(try parseAll(bytes)) { error in
        guard case .badAttribute(let offset, let length, _) = error as? NetlinkParseError else {
          return XCTFail("unexpected \(error)")
        }
        XCTAssertEqual(offset, 88)
        XCTAssertEqual(length, Int(bad))
      }
    }
  }

  func testAttributePastItsMessageIsRejected() {
    var bytes = capturedReply
    bytes[408 - 284] = 0x20  // INFO rtattr claims 288 bytes, 284 are there
    XCTAssertThrowsError(try parseAll(bytes)) { error in
      guard case .badAttribute = error as? NetlinkParseError else { return XCTFail("unexpected \(error)") }
    }
  }

  func testOverdueTimerFromOldKernelsIsClamped() throws {
    var bytes = capturedReply
    bytes.replaceSubrange(68..<72, with: hexBytes("f0ffffff"))  // expires = 2^32 - 16
    let (_, records) = try parseAll(bytes)
    XCTAssertEqual(records.first?.timerExpiresMs, 0)
  }

  func testIPv6AddressesAreBigEndianHalves() throws {
    var bytes = capturedReply
    bytes[16] = 10  // AF_INET6
    // src = ::1, dst = 2001:db8::7
    bytes.replaceSubrange(24..<40, with: hexBytes("00000000 00000000 00000000 00000001"))
    bytes.replaceSubrange(40..<56, with: hexBytes("20010db8 00000000 00000000 00000007"))
    let (_, records) = try parseAll(bytes)
    let r = try XCTUnwrap(records.first)
    XCTAssertEqual(r.local.address, .v6(hi: 0, lo: 1))
    XCTAssertEqual(r.remote.address, .v6(hi: 0x2001_0db8_0000_0000, lo: 7))
  }

  func testUnknownStateIsSkippedButParsingContinues() throws {
    var bytes = capturedReply
    bytes[17] = 99
    let (parser, records) = try parseAll(bytes + doneMessage)
    XCTAssertTrue(records.isEmpty)
    XCTAssertEqual(parser.socketMessages, 1)
    XCTAssertTrue(parser.done)
  }

  func testConstantsMatchTheKernelHeaders() {
    XCTAssertEqual(NetlinkConstants.inetDiagReqV2Size, katop_sizeof_inet_diag_req_v2())
    XCTAssertEqual(NetlinkConstants.inetDiagMsgSize, katop_sizeof_inet_diag_msg())
    XCTAssertEqual(InetDiagRequest.conditionSize, katop_sizeof_inet_diag_bc_op() + katop_sizeof_inet_diag_hostcond())
    XCTAssertEqual(Int32(NetlinkConstants.sockDiagByFamily), katop_SOCK_DIAG_BY_FAMILY)
    XCTAssertEqual(NetlinkConstants.netlinkSockDiag, katop_NETLINK_SOCK_DIAG)
    XCTAssertEqual(Int32(NetlinkConstants.nlmsgDone), katop_NLMSG_DONE)
    XCTAssertEqual(Int32(NetlinkConstants.nlmsgError), katop_NLMSG_ERROR)
    XCTAssertEqual(Int32(NetlinkConstants.flagDump), katop_NLM_F_DUMP)
    XCTAssertEqual(Int32(NetlinkConstants.flagRequest), katop_NLM_F_REQUEST)
    XCTAssertEqual(Int32(NetlinkConstants.flagDumpInterrupted), katop_NLM_F_DUMP_INTR)
    XCTAssertEqual(Int32(NetlinkConstants.inetDiagInfo), katop_INET_DIAG_INFO)
    XCTAssertEqual(Int32(NetlinkConstants.inetDiagReqBytecode), katop_INET_DIAG_REQ_BYTECODE)
    XCTAssertEqual(Int32(InetDiagRequest.Op.sourceCondition.rawValue), katop_INET_DIAG_BC_S_COND)
    XCTAssertEqual(Int32(InetDiagRequest.Op.destinationCondition.rawValue), katop_INET_DIAG_BC_D_COND)
    XCTAssertEqual(Int32(InetDiagRequest.Op.jump.rawValue), katop_INET_DIAG_BC_JMP)
  }
}
