// Lookup requests and replies on byte fixtures, in the style of NetlinkDumpParserTests.

import KatopModel
import XCTest

@testable import SockDiag

/// The captured dump reply (NetlinkDumpParserTests) as the kernel sends it for a lookup: the
/// same inet_diag_msg + attributes, flags 0 instead of NLM_F_MULTI, the request's sequence.
func lookupReply(sequence: UInt32) -> [UInt8] {
  var bytes = capturedReply
  bytes.replaceSubrange(6..<8, with: [0, 0])
  withUnsafeBytes(of: sequence) { bytes.replaceSubrange(8..<12, with: $0) }
  return bytes
}

/// NLMSG_ERROR for `sequence` with -errno, echoing the 72-byte request header as the kernel does
/// (nlmsgerr: int error + the request's nlmsghdr; capped ACKs carry only the header).
func lookupError(sequence: UInt32, errno code: Int32) -> [UInt8] {
  var bytes: [UInt8] = []
  InetDiagRequest.appendU32(&bytes, 36)
  InetDiagRequest.appendU16(&bytes, NetlinkConstants.nlmsgError)
  InetDiagRequest.appendU16(&bytes, 0x100)  // NLM_F_CAPPED
  InetDiagRequest.appendU32(&bytes, sequence)
  InetDiagRequest.appendU32(&bytes, 0)
  withUnsafeBytes(of: -code) { bytes.append(contentsOf: $0) }
  // the request's nlmsghdr: len 72, type 20, flags NLM_F_REQUEST, seq, pid
  bytes += hexBytes("48000000 1400 0100") + withUnsafeBytes(of: sequence) { Array($0) } + hexBytes("00000000")
  return bytes
}

final class LookupParserTests: XCTestCase {
  func testLookupRequestCarriesTheSocketIdOfTheDump() throws {
    let (_, records) = try parseAll(capturedReply + doneMessage)
    let record = try XCTUnwrap(records.first)
    let request = InetDiagRequest.lookupRequest(of: record, sequence: 0x0102_0304)
    XCTAssertEqual(request.count, 16 + 56)
    XCTAssertEqual(Array(request[0..<4]), [72, 0, 0, 0])
    XCTAssertEqual(Array(request[4..<8]), [20, 0, 0x01, 0], "SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST, no NLM_F_DUMP")
    XCTAssertEqual(Array(request[8..<12]), [4, 3, 2, 1])
    XCTAssertEqual(Array(request[16..<20]), [2, 6, 1 << 1, 0], "AF_INET, TCP, INET_DIAG_INFO")
    XCTAssertEqual(Array(request[20..<24]), [0xFF, 0xFF, 0xFF, 0xFF])
    // The inet_diag_sockid goes back byte for byte as the dump reported it (offset 4..<52 of
    // the inet_diag_msg = offset 16+4 of the reply).
    XCTAssertEqual(Array(request[24..<72]), Array(capturedReply[20..<68]))

    let v6 = SocketRecord(
      family: 10, state: .listen, local: Endpoint(address: .v6(hi: 0, lo: 1), port: 443),
      remote: Endpoint(address: .v6(hi: 0x2001_0db8_0000_0000, lo: 0xFFFF), port: 0),
      cookie: 0x1122_3344_5566_7788, interface: 3)
    let r6 = InetDiagRequest.lookupRequest(of: v6, sequence: 1)
    XCTAssertEqual(r6[16], 10)
    XCTAssertEqual(Array(r6[24..<28]), [0x01, 0xBB, 0, 0], "sport 443, dport 0, network order")
    XCTAssertEqual(Array(r6[28..<44]), [UInt8](repeating: 0, count: 15) + [1], "src ::1")
    XCTAssertEqual(Array(r6[44..<60]), [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 10) + [0xFF, 0xFF])
    XCTAssertEqual(Array(r6[60..<64]), [3, 0, 0, 0], "idiag_if")
    XCTAssertEqual(Array(r6[64..<72]), [0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11], "cookie low u32, high u32")
  }

  func testRepliesFillTheirSlotsBySequenceInAnyOrderAndDatagram() throws {
    var parser = LookupReplyParser(firstSequence: 0xFFFF_FFFF, count: 2)  // wraps to 0
    try parser.parse(lookupReply(sequence: 0)[...])
    XCTAssertFalse(parser.complete)
    XCTAssertNil(parser.records[0])
    try parser.parse(lookupReply(sequence: 0xFFFF_FFFF)[...])
    XCTAssertTrue(parser.complete)
    let first = try XCTUnwrap(parser.records[0])
    XCTAssertEqual(first.cookie, 15)
    XCTAssertEqual(first.state, .established)
    XCTAssertEqual(first.local.port, 59392)
    XCTAssertEqual(first.info?.rttUs, 32)

    var both = LookupReplyParser(firstSequence: 7, count: 2)
    try both.parse((lookupReply(sequence: 8) + lookupReply(sequence: 7))[...])
    XCTAssertTrue(both.complete)
  }

  func testErrorRepliesAreMisses() {
    for (code, name) in [(ENOENT, "not found"), (ESTALE, "cookie mismatch"), (EINVAL, "bad request")] {
      var parser = LookupReplyParser(firstSequence: 40, count: 3)
      XCTAssertNoThrow(try parser.parse(lookupReply(sequence: 40)[...]))
      XCTAssertThrowsError(try parser.parse(lookupError(sequence: 41, errno: code)[...]), name) {
        XCTAssertEqual($0 as? LookupMiss, .kernel(errno: code, index: 1))
      }
    }
  }

  func testUnexpectedRepliesAreMisses() {
    func miss(_ bytes: [UInt8], first: UInt32 = 40, count: Int = 2) -> LookupMiss? {
      var parser = LookupReplyParser(firstSequence: first, count: count)
      do {
        try parser.parse(bytes[...])
        return nil
      } catch { return error as? LookupMiss }
    }
    guard case .unexpected = miss(lookupReply(sequence: 42)) else { return XCTFail("sequence past the batch") }
    guard case .unexpected = miss(lookupReply(sequence: 39)) else { return XCTFail("sequence before the batch") }
    guard case .unexpected = miss(lookupReply(sequence: 40) + lookupReply(sequence: 40)) else {
      return XCTFail("second reply to one lookup")
    }
    guard case .unexpected = miss(lookupError(sequence: 40, errno: 0)) else { return XCTFail("ACK") }
    var done = doneMessage
    done.replaceSubrange(8..<12, with: [40, 0, 0, 0])
    guard case .unexpected = miss(done) else { return XCTFail("NLMSG_DONE") }
    var unknownState = lookupReply(sequence: 40)
    unknownState[17] = 99
    guard case .unexpected = miss(unknownState) else { return XCTFail("unknown TCP state") }
  }

  func testTruncatedRepliesThrowAndNeverTrap() {
    let reply = lookupReply(sequence: 5)
    for cut in 1..<reply.count {
      var parser = LookupReplyParser(firstSequence: 5, count: 1)
      XCTAssertThrowsError(try parser.parse(reply[0..<cut]), "cut at \(cut)")
      XCTAssertFalse(parser.complete)
    }
  }

  func testChangedSocketIsAMiss() throws {
    let (_, records) = try parseAll(capturedReply + doneMessage)
    let old = try XCTUnwrap(records.first)
    XCTAssertNil(LookupRefresher.mismatch(old: old, new: old, states: 0xFFFF_FFFF))
    var closing = old
    closing.state = .timeWait
    XCTAssertNotNil(LookupRefresher.mismatch(old: old, new: closing, states: 0xFFFF_FFFF))
    var other = old
    other.cookie = 16
    XCTAssertNotNil(LookupRefresher.mismatch(old: old, new: other, states: 0xFFFF_FFFF))
    XCTAssertNotNil(LookupRefresher.mismatch(old: old, new: old, states: TCPState.listen.mask))
  }
}
