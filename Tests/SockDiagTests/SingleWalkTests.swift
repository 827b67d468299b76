// The one-walk dump (TCPDIAG_GETSOCK with AF_UNSPEC, the kernel's compat path) against the real
// kernel, and the per-family fallback when a kernel refuses it.

import Glibc
import KatopModel
import XCTest

@testable import SockDiag

final class SingleWalkTests: XCTestCase {
  func testRequestLayoutIsTheV1InetDiagReq() {
    let bytecode = InetDiagRequest.portFilterBytecode(ports: [443])
    let request = InetDiagRequest.allFamiliesDumpRequest(states: 0x0FFF, sequence: 9, bytecode: bytecode)
    XCTAssertEqual(request.count, 16 + 60 + 4 + bytecode.count)
    XCTAssertEqual(Int(request[0]) | Int(request[1]) << 8, request.count)
    XCTAssertEqual(request[4], 18)  // TCPDIAG_GETSOCK
    XCTAssertEqual(request[6], 0x01)  // NLM_F_REQUEST
    XCTAssertEqual(request[7], 0x03)  // NLM_F_DUMP
    XCTAssertEqual(request[8], 9)  // sequence
    XCTAssertEqual(request[16], 0)  // idiag_family AF_UNSPEC
    XCTAssertEqual(request[19], 1 << 1)  // idiag_ext: INET_DIAG_INFO
    XCTAssertEqual(Array(request[(16 + 52)..<(16 + 56)]), [0xFF, 0x0F, 0, 0])  // idiag_states
    XCTAssertEqual(Array(request[(16 + 60)..<(16 + 64)]), [UInt8(4 + bytecode.count), 0, 1, 0])  // BYTECODE attr
    XCTAssertEqual(Array(request[(16 + 64)...]), bytecode)
  }

  func testOneWalkReturnsIPv4AndIPv6WithTCPInfoAndThePortFilterWorks() throws {
    let v4 = try LoopbackSockets()
    defer { v4.closeAll() }
    let v6 = try LoopbackSockets(ipv6: true)
    defer { v6.closeAll() }
    let noise = try LoopbackSockets()
    defer { noise.closeAll() }
    _ = try v4.connectPair()
    _ = try v6.connectPair()
    for _ in 0..<20 { _ = try noise.connectPair() }

    let socket = try SockDiagSocket()
    var types: [UInt8] = []
    socket.requestOverride = { request in
      types.append(request[4])
      return request
    }
    var records: [SocketRecord] = []
    let bytecode = InetDiagRequest.portFilterBytecode(ports: [v4.port, v6.port])
    _ = try socket.dumpAllFamilies(states: 0xFFFF_FFFF, bytecode: bytecode, into: &records)
    XCTAssertEqual(types, [18], "one request for both families")
    // Per family: listener + client + server side.
    XCTAssertEqual(records.filter { $0.family == 2 }.count, 3, "\(records)")
    XCTAssertEqual(records.filter { $0.family == 10 }.count, 3, "\(records)")
    XCTAssertTrue(records.allSatisfy { [v4.port, v6.port].contains($0.local.port) || [v4.port, v6.port].contains($0.remote.port) })
    XCTAssertTrue(records.allSatisfy { $0.info != nil }, "INET_DIAG_INFO on every socket")

    // Unfiltered: the noise is there, so the bytecode above did filter.
    var all: [SocketRecord] = []
    _ = try socket.dumpAllFamilies(states: 0xFFFF_FFFF, bytecode: [], into: &all)
    XCTAssertGreaterThanOrEqual(all.filter { $0.local.port == noise.port || $0.remote.port == noise.port }.count, 41)
    XCTAssertTrue(all.contains { $0.family == 10 && $0.local.port == v6.port })

    // Through the collector: the default path is the one walk.
    let collector = Collector()
    let snapshot = try collector.collect(CollectRequest(ports: [v4.port, v6.port], owners: false, socketOptions: false))
    XCTAssertTrue(collector.usesSingleWalk)
    XCTAssertEqual(snapshot.status.source, .netlink)
    XCTAssertEqual(Set(snapshot.sockets.map(\.family)), [2, 10])
    XCTAssertEqual(snapshot.sockets.count, 6)
  }

  /// A kernel that refuses TCPDIAG_GETSOCK (here: the request cut short, which the real kernel
  /// answers with NLMSG_ERROR EINVAL) gets the two per-family dumps, now and on every refresh.
  func testRefusedOneWalkFallsBackToPerFamilyDumps() throws {
    let v4 = try LoopbackSockets()
    defer { v4.closeAll() }
    let v6 = try LoopbackSockets(ipv6: true)
    defer { v6.closeAll() }
    _ = try v4.connectPair()
    _ = try v6.connectPair()

    var types: [UInt8] = []
    let collector = Collector()
    collector.openNetlink = {
      let socket = try SockDiagSocket()
      socket.requestOverride = { request in
        types.append(request[4])
        guard request[4] == 18 else { return request }
        var short = Array(request.prefix(16 + 40))
        short[0] = UInt8(short.count)
        short[1] = 0
        return short
      }
      return socket
    }
    let request = CollectRequest(ports: [v4.port, v6.port], owners: false, socketOptions: false)
    let first = try collector.collect(request)
    XCTAssertEqual(types, [18, 20, 20])
    XCTAssertFalse(collector.usesSingleWalk)
    XCTAssertEqual(first.status.source, .netlink)
    XCTAssertEqual(first.sockets.filter { $0.family == 2 }.count, 3)
    XCTAssertEqual(first.sockets.filter { $0.family == 10 }.count, 3)
    XCTAssertFalse(first.status.noteTexts.contains { $0.contains("sock_diag") }, "\(first.status.noteTexts)")

    types = []
    let second = try collector.collect(request)
    XCTAssertEqual(types, [20, 20], "the refused request is not tried again")
    XCTAssertEqual(second.sockets.count, 6)
  }
}
