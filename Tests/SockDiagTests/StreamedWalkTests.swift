import Glibc
import KatopModel
import XCTest

@testable import SockDiag

/// A walk of the whole table handed on in parts (the TUI's full-table walks): the parts and the
/// rest hold exactly the sockets a whole walk does, each part at most about `partSize` records,
/// with owners and settings read from the real sockets of this process.
final class StreamedWalkTests: XCTestCase {
  final class Parts {
    var list: [WalkPart] = []
  }

  /// Walks in parts of `partSize`; returns the parts and the rest.
  func streamed(_ collector: Collector, _ request: CollectRequest, partSize: Int) throws -> ([WalkPart], Snapshot) {
    let parts = Parts()
    let rest = try collector.collect(request, partSize: partSize, parts: { parts.list.append($0) })
    return (parts.list, rest)
  }

  func testPartsAndRestHoldTheWholeWalkWithOwnersAndSettings() throws {
    let sockets = try LoopbackSockets()
    defer { sockets.closeAll() }
    var clients: [Int32] = []
    for i in 0..<200 {
      let pair = try sockets.connectPair()
      clients.append(pair.client)
      if i % 2 == 0 { try sockets.setKeepalive(pair.client, idle: 45, interval: 7, count: 3) }
    }
    let port = sockets.port
    func mine(_ r: SocketRecord) -> Bool {
      (r.local.port == port || r.remote.port == port) && r.state != .timeWait
    }
    let whole = try Collector().collect(CollectRequest())
    let expected = Set(whole.sockets.filter(mine).map(\.cookie))
    XCTAssertEqual(expected.count, 401, "listener + 200 pairs")

    let collector = Collector()
    // The TUI's order: a quick walk without owners, then walks with them.
    var quick = CollectRequest()
    quick.owners = false
    quick.socketOptions = false
    let (quickParts, quickRest) = try streamed(collector, quick, partSize: 32)
    XCTAssertTrue(quickParts.allSatisfy { $0.owners.isEmpty && $0.options.isEmpty })
    XCTAssertEqual(Set((quickParts.flatMap(\.records) + quickRest.sockets).filter(mine).map(\.cookie)), expected)

    for walk in ["first with owners (scanned before the dump)", "warm"] {
      let (parts, rest) = try streamed(collector, CollectRequest(), partSize: 32)
      // 401 sockets fill several dump datagrams (~32 KiB each) whatever else the host holds.
      XCTAssertGreaterThanOrEqual(parts.count, 2, walk)
      // A part is handed on once a datagram took it to the part size: at most one datagram over.
      for part in parts { XCTAssertLessThan(part.records.count, 32 + 400, walk) }
      XCTAssertTrue(rest.sockets.isEmpty, walk)
      let records = parts.flatMap(\.records).filter(mine)
      XCTAssertEqual(Set(records.map(\.cookie)), expected, walk)
      XCTAssertEqual(records.count, expected.count, "each socket once: \(walk)")
      XCTAssertEqual(rest.status.source, .netlink)
      for part in parts {
        for r in part.records where mine(r) {
          // The owner scan before the first walk with owners found every socket the quick
          // walk saw: each part carries its sockets' owners.
          let owner = try XCTUnwrap(part.owners[r.inode], "\(walk): no owner in the part for \(r.local)")
          XCTAssertEqual(owner.pid, getpid())
          if r.state == .established && r.remote.port == port && r.timer == .keepalive {
            let o = try XCTUnwrap(part.options[r.inode], "\(walk): settings of \(r.local)")
            XCTAssertEqual([o.idleSeconds, o.intervalSeconds, o.probes], [45, 7, 3])
          }
        }
      }
      XCTAssertEqual(
        parts.flatMap(\.records).filter { mine($0) && $0.timer == .keepalive }.count, 100, "\(walk): 100 clients with keepalive")
    }

    // A connection made since: its owner is unknown to the parts; the walk's end finds it.
    let late = try sockets.connectPair()
    try sockets.setKeepalive(late.client, idle: 45, interval: 7, count: 3)
    let (parts, rest) = try streamed(collector, CollectRequest(), partSize: 32)
    let lateRecord = try XCTUnwrap(parts.flatMap(\.records).first { $0.local.port == late.clientPort && $0.remote.port == port })
    XCTAssertNil(parts.first { $0.records.contains { $0.cookie == lateRecord.cookie } }?.owners[lateRecord.inode])
    XCTAssertEqual(rest.owners[lateRecord.inode]?.fd, late.client)
    XCTAssertEqual(rest.options[lateRecord.inode]?.idleSeconds, 45)
  }

  /// A port-filtered request is not walked in parts (its lookups need the whole list).
  func testAFilteredWalkIsWhole() throws {
    let sockets = try LoopbackSockets()
    defer { sockets.closeAll() }
    _ = try sockets.connectPair()
    let (parts, rest) = try streamed(Collector(), CollectRequest(ports: [sockets.port]), partSize: 1)
    XCTAssertTrue(parts.isEmpty)
    XCTAssertEqual(rest.sockets.count, 3)
  }
}
