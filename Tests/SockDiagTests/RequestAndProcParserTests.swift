import KatopModel
import XCTest

@testable import SockDiag

final class InetDiagRequestTests: XCTestCase {
  func testSinglePortBytecode() {
    // Two conditions (sport = 80, dport = 80) joined by a jump, 12 + 4 + 12 = 28 bytes.
    let expected = hexBytes(
      // S_COND, yes 12 (next op), no 16 (skip the jump: try D_COND)
      "07 0c 1000"
        // hostcond: family AF_UNSPEC, prefix 0, pad, port 80
        + "00 00 0000 50000000"
        // JMP (reached when S_COND matched): no = 16 = exactly to the end = accept
        + "01 04 1000"
        // D_COND, yes 12 = run off the end = accept, no 16 = len + 4 = reject
        + "08 0c 1000"
        + "00 00 0000 50000000")
    XCTAssertEqual(InetDiagRequest.portFilterBytecode(ports: [80]), expected)
  }

  func testPortsAreSortedDeduplicatedAndOrEd() {
    let bytes = InetDiagRequest.portFilterBytecode(ports: [443, 80, 443])
    // 4 conditions + 3 jumps.
    XCTAssertEqual(bytes.count, 4 * 12 + 3 * 4)
    let expected = hexBytes(
      "07 0c 1000 00 00 0000 50000000" + "01 04 3000"  // jump 48 bytes: exactly to the end
        + "08 0c 1000 00 00 0000 50000000" + "01 04 2000"  // 32
        + "07 0c 1000 00 00 0000 bb010000" + "01 04 1000"  // 16
        + "08 0c 1000 00 00 0000 bb010000")
    XCTAssertEqual(bytes, expected)
  }

  func testNoPortsMeansNoBytecode() {
    XCTAssertEqual(InetDiagRequest.portFilterBytecode(ports: []), [])
  }

  func testDumpRequestLayout() {
    let bytecode = InetDiagRequest.portFilterBytecode(ports: [80])
    let request = InetDiagRequest.dumpRequest(family: 10, states: 0x0FFF, sequence: 9, bytecode: bytecode)
    XCTAssertEqual(request.count, 16 + 56 + 4 + 28)
    XCTAssertEqual(Array(request[0..<16]), hexBytes("68000000 1400 0103 09000000 00000000"))
    // family 10, IPPROTO_TCP, ext 1 << (INET_DIAG_INFO - 1), pad, states
    XCTAssertEqual(Array(request[16..<24]), hexBytes("0a 06 02 00 ff0f0000"))
    XCTAssertEqual(Array(request[24..<72]), [UInt8](repeating: 0, count: 48))
    // rtattr len 32 type INET_DIAG_REQ_BYTECODE
    XCTAssertEqual(Array(request[72..<76]), hexBytes("2000 0100"))
    XCTAssertEqual(Array(request[76...]), bytecode)
  }
}

final class ProcNetTCPParserTests: XCTestCase {
  let header = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"

  func parse(_ text: String, states: UInt32 = 0xFFFF_FFFF) throws -> [SocketRecord] {
    var records: [SocketRecord] = []
    try ProcNetTCPParser.parse(Array(text.utf8)[...], states: states, into: &records)
    return records
  }

  func testIPv4ListenerAndKeepaliveLines() throws {
    let text = header
      + "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000003 00:00000000 00000000     0        0 12345 1 0000000000000000 100 0 0 10 0\n"
      + "   1: 0100007F:E800 0100007F:1F90 01 00000010:00000020 02:00000FA0 00000000  1000        2 23456 1 0000000000000000 20 4 30 10 -1\n"
      + "   2: 0100007F:E801 0100007F:1F90 01 00000000:00000000 01:00000032 00000005  1000        0 23457 1 0000000000000000 20 4 30 10 -1\n"
    let records = try parse(text)
    XCTAssertEqual(records.count, 3)
    XCTAssertEqual(records[0].state, .listen)
    XCTAssertEqual(records[0].local, Endpoint(address: .v4(127, 0, 0, 1), port: 8080))
    XCTAssertEqual(records[0].remote, Endpoint(address: .v4(0, 0, 0, 0), port: 0))
    XCTAssertEqual(records[0].inode, 12345)
    XCTAssertEqual(records[0].recvQueue, 3)
    XCTAssertNil(records[0].info)

    let keepalive = records[1]
    XCTAssertEqual(keepalive.state, .established)
    XCTAssertEqual(keepalive.family, 2)
    XCTAssertEqual(keepalive.timer, .keepalive)
    XCTAssertEqual(keepalive.timerExpiresMs, 40_000)  // 0xFA0 = 4000 ticks of 10 ms
    XCTAssertEqual(keepalive.timerCount, 2)  // probes out: the `timeout` column
    XCTAssertEqual(keepalive.sendQueue, 16)
    XCTAssertEqual(keepalive.recvQueue, 32)
    XCTAssertEqual(keepalive.uid, 1000)

    let retransmit = records[2]
    XCTAssertEqual(retransmit.timer, .retransmit)
    XCTAssertEqual(retransmit.timerExpiresMs, 500)
    XCTAssertEqual(retransmit.timerCount, 5)  // retrnsmt column
  }

  func testIPv6AddressWords() throws {
    let text = header
      + "   0: 00000000000000000000000001000000:1F90 0000000000000000FFFF00000100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 777 1 0000000000000000 20 4 30 10 -1\n"
    let record = try XCTUnwrap(parse(text).first)
    XCTAssertEqual(record.family, 10)
    XCTAssertEqual(record.local.address, .v6(hi: 0, lo: 1))  // ::1
    XCTAssertEqual(record.remote.address, .v6(hi: 0, lo: 0x0000_FFFF_7F00_0001))  // ::ffff:127.0.0.1
    XCTAssertEqual(record.remote.port, 0xD431)
  }

  func testStateFilter() throws {
    let text = header
      + "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0\n"
      + "   1: 0100007F:E800 0100007F:1F90 08 00000000:00000001 00:00000000 00000000     0        0 2 1 0\n"
    let records = try parse(text, states: TCPState.closeWait.mask)
    XCTAssertEqual(records.map(\.inode), [2])
  }

  func testMalformedLinesThrow() {
    for line in [
      "   0: 0100007F 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1\n",
      "   0: 0100007G:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1\n",
      "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0\n",
      "   0: 0100007F:1F90 00000000:0000\n",
    ] {
      XCTAssertThrowsError(try parse(header + line), line)
    }
  }
}
