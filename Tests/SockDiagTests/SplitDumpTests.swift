// The split dump of `katop --once`: two halves by ephemeral port, dumped at once, must hold
// every socket exactly once (docs/performance.md).

import Glibc
import KatopModel
import XCTest

@testable import SockDiag

final class SplitDumpTests: XCTestCase {
  func testSplitBytecodeLayout() {
    // 46883 = 0xB723, 46882 = 0xB722; u16 fields in host (little-endian) order.
    XCTAssertEqual(
      InetDiagRequest.portSplitBytecode(split: 46883, upper: true),
      [2, 8, 12, 0, 0, 0, 0x23, 0xB7,  // S_GE {yes 8, no 12}, {0, 0, port}
       1, 4, 12, 0,  // JMP {yes 4, no 12}: to the end = accept
       4, 8, 12, 0, 0, 0, 0x23, 0xB7])  // D_GE {yes 8, no 12}
    XCTAssertEqual(
      InetDiagRequest.portSplitBytecode(split: 46883, upper: false),
      [3, 8, 20, 0, 0, 0, 0x22, 0xB7,  // S_LE {yes 8, no 20 = reject}
       5, 8, 12, 0, 0, 0, 0x22, 0xB7])  // D_LE {yes 8, no 12 = reject}
  }

  func testHalvesHoldEverySocketExactlyOnce() throws {
    let v4 = try LoopbackSockets()
    defer { v4.closeAll() }
    let v6 = try LoopbackSockets(ipv6: true)
    defer { v6.closeAll() }
    for _ in 0..<25 {
      _ = try v4.connectPair()
      _ = try v6.connectPair()
    }
    let ours = Set([v4.port, v6.port])
    // TIME-WAIT sockets of earlier connections that used the same port numbers (a busy host,
    // an earlier test run) are not ours.
    func mine(_ r: SocketRecord) -> Bool {
      r.state != .timeWait && (ours.contains(r.local.port) || ours.contains(r.remote.port))
    }
    let socket = try SockDiagSocket()
    var all: [SocketRecord] = []
    _ = try socket.dumpAllFamilies(states: 0xFFFF_FFFF, bytecode: [], into: &all)
    all.removeAll { !mine($0) }
    XCTAssertEqual(all.count, 2 * (1 + 50), "listener + 25 pairs per family")
    // Split at the larger listener port: that listener is in the upper half, the other one
    // (both of its ports below) in the lower half, and the connections fall either way.
    let split = v4.port != v6.port ? max(v4.port, v6.port) : v4.port &+ 1
    var upper: [SocketRecord] = []
    var lower: [SocketRecord] = []
    _ = try socket.dumpAllFamilies(states: 0xFFFF_FFFF, bytecode: InetDiagRequest.portSplitBytecode(split: split, upper: true), into: &upper)
    _ = try socket.dumpAllFamilies(states: 0xFFFF_FFFF, bytecode: InetDiagRequest.portSplitBytecode(split: split, upper: false), into: &lower)
    upper.removeAll { !mine($0) }
    lower.removeAll { !mine($0) }
    if v4.port != v6.port {
      XCTAssertTrue(upper.contains { $0.state == .listen && $0.local.port == split }, "split \(split)")
      XCTAssertTrue(lower.contains { $0.state == .listen && $0.local.port < split }, "split \(split)")
    }
    XCTAssertTrue(upper.allSatisfy { $0.local.port >= split || $0.remote.port >= split })
    XCTAssertTrue(lower.allSatisfy { $0.local.port < split && $0.remote.port < split })
    XCTAssertTrue(Set(upper.map(\.cookie)).isDisjoint(with: lower.map(\.cookie)))
    XCTAssertEqual(Set(upper.map(\.cookie)).union(lower.map(\.cookie)), Set(all.map(\.cookie)))
    XCTAssertEqual(upper.count + lower.count, all.count)
  }

  func testCollectorWithSplitFindsTheSameSockets() throws {
    let v4 = try LoopbackSockets()
    defer { v4.closeAll() }
    let v6 = try LoopbackSockets(ipv6: true)
    defer { v6.closeAll() }
    for _ in 0..<10 {
      _ = try v4.connectPair()
      _ = try v6.connectPair()
    }
    let ours = Set([v4.port, v6.port])
    func cookies(_ s: Snapshot) -> Set<UInt64> {
      Set(s.sockets.filter { $0.state != .timeWait && (ours.contains($0.local.port) || ours.contains($0.remote.port)) }.map(\.cookie))
    }
    let plain = Collector()
    let split = Collector()
    split.splitsDump = true
    let request = CollectRequest(owners: false, socketOptions: false)
    let viaSplit = try split.collect(request)
    let viaPlain = try plain.collect(request)
    if Parallel.workerCount >= 2 {
      XCTAssertTrue(split.lastDumpWasSplit)
    } else {
      XCTAssertFalse(split.lastDumpWasSplit, "one CPU: no split")
    }
    XCTAssertFalse(plain.lastDumpWasSplit)
    XCTAssertEqual(cookies(viaSplit).count, 2 * 21)
    XCTAssertEqual(cookies(viaSplit), cookies(viaPlain))
    XCTAssertEqual(Set(viaSplit.sockets.map(\.cookie)).count, viaSplit.sockets.count, "no socket twice")
    // A port filter is already small: no split.
    _ = try split.collect(CollectRequest(ports: [v4.port], owners: false, socketOptions: false))
    XCTAssertFalse(split.lastDumpWasSplit)
  }
}
