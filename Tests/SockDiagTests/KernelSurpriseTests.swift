// Kernel surprises through the whole collector, with a fake receive side on the sock_diag socket
// (SockDiagSocket.receiveOverride): NLMSG_ERROR replies, interrupted dumps, ENOBUFS, a short
// tcp_info, garbage, and netlink unavailable (falls back to /proc with a note).

import Foundation
import Glibc
import KatopModel
import XCTest

@testable import SockDiag

/// Replies handed out one per recv(); each message's nlmsg_seq is patched to the dump's.
final class FakeKernel {
  enum Reply {
    case bytes([UInt8])
    case error(Int32)
  }
  var replies: [Reply]
  private(set) var socketsOpened = 0
  init(_ replies: [Reply]) { self.replies = replies }

  func receive(_ buffer: UnsafeMutableRawBufferPointer, _ sequence: UInt32) -> Int {
    guard !replies.isEmpty else { return -Int(EAGAIN) }
    switch replies.removeFirst() {
    case .error(let code):
      return -Int(code)
    case .bytes(var bytes):
      var offset = 0
      while offset + 16 <= bytes.count {
        withUnsafeBytes(of: sequence.littleEndian) { for i in 0..<4 { bytes[offset + 8 + i] = $0[i] } }
        let length = Int(bytes[offset]) | Int(bytes[offset + 1]) << 8
        if length < 16 { break }
        offset += (length + 3) & ~3
      }
      buffer.copyBytes(from: bytes)
      return bytes.count
    }
  }

  /// A collector whose every sock_diag socket (first and re-opened) reads from this fake.
  func collector() -> Collector {
    let collector = Collector()
    collector.openNetlink = { [self] in
      socketsOpened += 1
      let socket = try SockDiagSocket()
      socket.receiveOverride = { self.receive($0, $1) }
      return socket
    }
    return collector
  }
}

func nlmsgError(_ negativeErrno: Int32) -> [UInt8] {
  // nlmsghdr (len 36, type 2) + int error + the offending request's nlmsghdr.
  var bytes: [UInt8] = [36, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
  withUnsafeBytes(of: negativeErrno.littleEndian) { bytes += $0 }
  bytes += [UInt8](repeating: 0, count: 16)
  return bytes
}

/// capturedReply with its flags replaced.
func capturedReply(flags: UInt16) -> [UInt8] {
  var bytes = capturedReply
  bytes[6] = UInt8(flags & 0xFF)
  bytes[7] = UInt8(flags >> 8)
  return bytes
}

/// One socket message whose INET_DIAG_INFO attribute carries only `infoLength` bytes of tcp_info.
func replyWithShortTCPInfo(_ infoLength: Int) -> [UInt8] {
  let header = Array(capturedReply[16..<88])  // inet_diag_msg
  let info = Array(capturedReply[(capturedReply.count - 280)...].prefix(infoLength))
  let attribute = [UInt8(4 + infoLength), 0, 2, 0] + info + [UInt8](repeating: 0, count: (4 - infoLength % 4) % 4)
  let length = 16 + header.count + attribute.count
  return [UInt8(length & 0xFF), UInt8(length >> 8), 0, 0, 20, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0] + header + attribute
}

final class KernelSurpriseTests: XCTestCase {
  let request = CollectRequest(owners: false, socketOptions: false)

  func testNlmsgErrorForIPv4FallsBackToProcWithANote() throws {
    // The one-walk request is refused first, then the IPv4 dump of the per-family fallback.
    let fake = FakeKernel([.bytes(nlmsgError(-EOPNOTSUPP)), .bytes(nlmsgError(-EINVAL))])
    let snapshot = try fake.collector().collect(request)
    XCTAssertEqual(snapshot.status.source, .proc)
    XCTAssertTrue(
      snapshot.status.noteTexts.contains("netlink sock_diag unavailable (EINVAL): using /proc/net/tcp, no tcp_info"),
      "\(snapshot.status.noteTexts)")
    let table = TableReport.render(system: snapshot.system, status: snapshot.status, profile: .aws, connections: [])
    XCTAssertTrue(table.contains("note: netlink sock_diag unavailable (EINVAL)"), table)
  }

  func testNlmsgErrorForIPv6KeepsIPv4AndSaysSo() throws {
    // One-walk request refused: per-family fallback, where IPv4 works and IPv6 does not.
    let fake = FakeKernel([
      .bytes(nlmsgError(-EINVAL)), .bytes(capturedReply + doneMessage), .bytes(nlmsgError(-EAFNOSUPPORT)),
    ])
    let snapshot = try fake.collector().collect(request)
    XCTAssertEqual(snapshot.status.source, .netlink)
    XCTAssertEqual(snapshot.sockets.count, 1)
    XCTAssertTrue(
      snapshot.status.noteTexts.contains("IPv6 sock_diag unavailable (EAFNOSUPPORT): IPv6 sockets missing"),
      "\(snapshot.status.noteTexts)")
  }

  func testInterruptedDumpIsFlaggedAndNoted() throws {
    let fake = FakeKernel([.bytes(capturedReply(flags: 0x2 | 0x10) + doneMessage)])
    let snapshot = try fake.collector().collect(request)
    XCTAssertTrue(snapshot.status.dumpInterrupted)
    XCTAssertEqual(snapshot.sockets.count, 1)
    XCTAssertTrue(snapshot.status.noteTexts.contains { $0.contains("dump interrupted") }, "\(snapshot.status.noteTexts)")
    let json = JSONReport.render(system: snapshot.system, status: snapshot.status, profile: .aws, connections: [])
    let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    XCTAssertNotNil(object["system"], json)
    XCTAssertTrue(json.contains("interrupted"), json)
  }

  func testENOBUFSRestartsTheFamilyOnAFreshSocketWithoutDuplicates() throws {
    // Half the one-walk dump arrives, then the queue overran: the retry must not keep the first half.
    let fake = FakeKernel([.bytes(capturedReply), .error(ENOBUFS), .bytes(capturedReply + doneMessage)])
    let snapshot = try fake.collector().collect(request)
    XCTAssertEqual(snapshot.sockets.count, 1)
    XCTAssertEqual(fake.socketsOpened, 2)
    XCTAssertEqual(snapshot.status.source, .netlink)
  }

  func testENOBUFSThreeTimesInARowIsAOneLineError() throws {
    let fake = FakeKernel([.error(ENOBUFS), .error(ENOBUFS), .error(ENOBUFS)])
    XCTAssertThrowsError(try fake.collector().collect(request)) { error in
      XCTAssertEqual("\(error)", "receiving sock_diag reply failed (ENOBUFS)")
    }
    XCTAssertEqual(fake.socketsOpened, 3)
  }

  func testENOBUFSOnThePerFamilyFallbackRestartsThatFamily() throws {
    let fake = FakeKernel([
      .bytes(nlmsgError(-EINVAL)),  // one-walk request refused
      .bytes(capturedReply), .error(ENOBUFS), .bytes(capturedReply + doneMessage),  // IPv4, retried
      .bytes(doneMessage),  // IPv6
    ])
    let collector = fake.collector()
    let snapshot = try collector.collect(request)
    XCTAssertFalse(collector.usesSingleWalk)
    XCTAssertEqual(snapshot.sockets.count, 1)
    XCTAssertEqual(fake.socketsOpened, 2)
    XCTAssertTrue(fake.replies.isEmpty)
  }

  func testShortTCPInfoStillAnalysesAndRenders() throws {
    for length in [0, 1, 7, 40, 47, 60, 104, 150] {
      let fake = FakeKernel([.bytes(replyWithShortTCPInfo(length) + doneMessage)])
      let snapshot = try fake.collector().collect(request)
      let record = try XCTUnwrap(snapshot.sockets.first, "length \(length)")
      let info = try XCTUnwrap(record.info)
      XCTAssertEqual(info.length, length)
      XCTAssertEqual(info.lastDataSentMs == nil, length < 48, "length \(length)")
      XCTAssertEqual(info.rttUs == nil, length < 72, "length \(length)")
      let rows = Analyzer.analyze(snapshot, profile: .aws)
      let json = JSONReport.render(system: snapshot.system, status: snapshot.status, profile: .aws, connections: rows)
      XCTAssertNoThrow(try JSONSerialization.jsonObject(with: Data(json.utf8)), "length \(length): \(json)")
      XCTAssertTrue(TableReport.render(system: snapshot.system, status: snapshot.status, profile: .aws, connections: rows).contains("127.0.0.1"))
    }
  }

  func testGarbageReplyIsAOneLineErrorNotAFallback() throws {
    let fake = FakeKernel([.bytes([0xFF, 0xFF, 0xFF, 0x7F] + [UInt8](repeating: 0, count: 12))])
    XCTAssertThrowsError(try fake.collector().collect(request)) { error in
      let text = "\(error)"
      XCTAssertTrue(text.hasPrefix("malformed sock_diag reply: netlink message at offset 0 has bad length"), text)
      XCTAssertFalse(text.contains("\n"))
    }
  }

  func testStaleReplyFromAnotherDumpIsRejected() throws {
    var stale = capturedReply + doneMessage
    let collector = Collector()
    collector.openNetlink = {
      let socket = try SockDiagSocket()
      socket.receiveOverride = { buffer, sequence in
        // A reply still queued from an earlier dump carries that dump's sequence number.
        withUnsafeBytes(of: (sequence &- 1).littleEndian) { for i in 0..<4 { stale[8 + i] = $0[i] } }
        buffer.copyBytes(from: stale)
        return stale.count
      }
      return socket
    }
    XCTAssertThrowsError(try collector.collect(request)) { error in
      XCTAssertTrue("\(error)".contains("sequence mismatch"), "\(error)")
    }
  }
}
