import Foundation
import KatopModel
import XCTest

final class JSONReportTests: XCTestCase {
  func parse(_ text: String, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
    let object = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [])
    return try XCTUnwrap(object as? [String: Any], file: file, line: line)
  }

  func sampleSystem() -> SystemInfo {
    var s = SystemInfo()
    s.hostname = "db-1"
    s.kernel = "6.18.0"
    s.keepaliveProbesSent = 12
    return s
  }

  func sampleStatus() -> CollectorStatus {
    var s = CollectorStatus()
    s.notes = [.ipv6ProcMissing(path: "/proc/\"net\"/tcp6")]
    return s
  }

  func testShapeAndRequiredKeys() throws {
    let owner = Owner(pid: 77, command: "postgres", uid: 26, fd: 9)
    let withOwner = Fixture.connection(
      Fixture.record(timer: .keepalive, expiresMs: 42_000, idleMs: 3000, cookie: UInt64.max),
      options: Fixture.options(true, 45, 7, 3), owner: owner, profile: .custom(seconds: 2))
    let bare = Fixture.connection(Fixture.record(state: .timeWait, timer: .timewait, expiresMs: 50_000, idleMs: nil, inode: 0))
    let text = JSONReport.render(
      system: sampleSystem(), status: sampleStatus(), profile: .custom(seconds: 2), connections: [withOwner, bare])
    let root = try parse(text)
    XCTAssertEqual(Set(root.keys), ["system", "connections"])
    XCTAssertTrue(text.hasSuffix("}\n"))
    XCTAssertEqual(
      JSONReport.renderUTF8(system: sampleSystem(), status: sampleStatus(), profile: .custom(seconds: 2), connections: [withOwner, bare]),
      Array(text.utf8))

    let system = try XCTUnwrap(root["system"] as? [String: Any])
    for key in ["hostname", "kernel", "source", "privileged", "profile", "keepalive", "tcpRetries2", "counters", "notes", "dumpInterrupted"] {
      XCTAssertNotNil(system[key], key)
    }
    XCTAssertEqual(system["hostname"] as? String, "db-1")
    XCTAssertEqual((system["profile"] as? [String: Any])?["idleTimeoutSeconds"] as? Int, 2)
    XCTAssertEqual((system["keepalive"] as? [String: Any])?["time"] as? Int, 7200)
    let counters = try XCTUnwrap(system["counters"] as? [String: Any])
    XCTAssertEqual(counters["keepAliveProbes"] as? Int, 12)
    XCTAssertTrue(counters["abortOnTimeout"] is NSNull)
    XCTAssertEqual(system["notes"] as? [String], ["no /proc/\"net\"/tcp6 (IPv6 off?): IPv6 sockets not listed"])

    let connections = try XCTUnwrap(root["connections"] as? [[String: Any]])
    XCTAssertEqual(connections.count, 2)
    let c = connections[0]
    for key in ["local", "remote", "state", "timer", "idleMs", "keepalive", "owner", "inode", "cookie", "queues", "tcpInfo", "risks"] {
      XCTAssertNotNil(c[key], key)
    }
    XCTAssertEqual((c["local"] as? [String: Any])?["address"] as? String, "127.0.0.1")
    XCTAssertEqual((c["remote"] as? [String: Any])?["port"] as? Int, 5432)
    XCTAssertEqual(c["state"] as? String, "ESTABLISHED")
    XCTAssertEqual(c["cookie"] as? String, "18446744073709551615")
    XCTAssertEqual(c["idleMs"] as? Int, 3000)
    let timer = try XCTUnwrap(c["timer"] as? [String: Any])
    XCTAssertEqual(timer["kind"] as? String, "keepalive")
    XCTAssertEqual(timer["expiresMs"] as? Int, 42_000)
    XCTAssertEqual(timer["count"] as? Int, 0)
    let ka = try XCTUnwrap(c["keepalive"] as? [String: Any])
    XCTAssertEqual(ka["enabled"] as? Bool, true)
    XCTAssertEqual(ka["idleSeconds"] as? Int, 45)
    XCTAssertEqual(ka["source"] as? String, "socket")
    XCTAssertEqual(ka["userTimeoutMs"] as? Int, 0)
    XCTAssertEqual(ka["detectInMs"] as? Int, 63_000)
    XCTAssertEqual(ka["nextProbeInMs"] as? Int, 42_000)
    XCTAssertEqual((c["owner"] as? [String: Any])?["command"] as? String, "postgres")
    XCTAssertEqual((c["tcpInfo"] as? [String: Any])?["lastAckRecvMs"] as? Int, 3000)
    let risks = try XCTUnwrap(c["risks"] as? [[String: Any]])
    XCTAssertEqual(risks.first?["id"] as? String, "keepalive-too-slow")
    XCTAssertEqual(risks.first?["severity"] as? String, "critical")
    XCTAssertNotNil(risks.first?["fix"] as? String)

    let t = connections[1]
    XCTAssertTrue(t["owner"] is NSNull)
    XCTAssertTrue(t["idleMs"] is NSNull)
    XCTAssertTrue(t["tcpInfo"] is NSNull)
    XCTAssertEqual(t["state"] as? String, "TIME_WAIT")
    XCTAssertEqual((t["keepalive"] as? [String: Any])?["enabled"] as? Bool, false)
    XCTAssertTrue((t["keepalive"] as? [String: Any])?["userTimeoutMs"] is NSNull)
    XCTAssertTrue((t["keepalive"] as? [String: Any])?["detectInMs"] is NSNull)
    XCTAssertEqual((t["risks"] as? [Any])?.count, 0)
  }

  func testUnknownKeepaliveIsNull() throws {
    let c = Fixture.connection(Fixture.record(timer: .retransmit, expiresMs: 200))
    let root = try parse(JSONReport.render(system: SystemInfo(), profile: .aws, connections: [c]))
    let first = try XCTUnwrap((root["connections"] as? [[String: Any]])?.first)
    XCTAssertTrue((first["keepalive"] as? [String: Any])?["enabled"] is NSNull)
  }

  func testOddCommandNamesRoundTrip() throws {
    let names = ["we\"ird\\name", "tab\tnew\nline\r", "ctl\u{01}\u{1F}\u{7F}", "ünïcødé✓ 🚀", "ls\u{2028}sep\u{2029}", ""]
    var connections: [Connection] = []
    for (i, name) in names.enumerated() {
      connections.append(
        Fixture.connection(
          Fixture.record(idleMs: 0, inode: UInt32(100 + i), cookie: UInt64(i)),
          owner: Owner(pid: Int32(i), command: name, uid: 0, fd: 3)))
    }
    let text = JSONReport.render(system: SystemInfo(), profile: .aws, connections: connections)
    XCTAssertFalse(text.utf8.dropLast().contains { $0 < 0x20 }, "raw control bytes in output")
    XCTAssertFalse(text.contains("\u{2028}"))
    let root = try parse(text)
    let parsed = try XCTUnwrap(root["connections"] as? [[String: Any]])
    XCTAssertEqual(parsed.map { ($0["owner"] as? [String: Any])?["command"] as? String }, names)
  }

  func testLargeReportIsValid() throws {
    var connections: [Connection] = []
    for i in 0..<2000 {
      let record = Fixture.record(
        timer: i % 2 == 0 ? .keepalive : .off, expiresMs: 1000, idleMs: UInt32(i * 1000), inode: UInt32(i + 1),
        cookie: UInt64(i))
      connections.append(Fixture.connection(record))
    }
    let root = try parse(JSONReport.render(system: SystemInfo(), profile: .aws, connections: connections))
    XCTAssertEqual((root["connections"] as? [Any])?.count, 2000)
  }

  /// Rows rendered in blocks on several threads give the same bytes as one thread, whatever the
  /// block size (first block without a leading comma, blocks in order, empty and tiny lists).
  func testParallelRowsGiveTheSameBytes() throws {
    let owner = Owner(pid: 9, command: "mysqld", uid: 27, fd: 4)
    let all = (0..<53).map { i -> Connection in
      let record = Fixture.record(
        timer: i % 3 == 0 ? .keepalive : .off, expiresMs: UInt32(i * 100), idleMs: UInt32(i * 60_000),
        inode: UInt32(1000 + i), cookie: UInt64(i))
      return Fixture.connection(record, options: i % 3 == 0 ? Fixture.options(true, 600, 60, 5) : nil, owner: i % 2 == 0 ? owner : nil)
    }
    XCTAssertTrue(all.contains { !$0.risks.isEmpty }, "some rows carry risk texts")
    func streamed(_ rows: [Connection], workers: Int, blockRows: Int) -> [UInt8] {
      var out: [UInt8] = []
      JSONReport.render(system: sampleSystem(), profile: .aws, connections: rows, chunkSize: 4096, workers: workers, blockRows: blockRows) {
        out.append(contentsOf: $0)
      }
      return out
    }
    for count in [0, 1, 7, 8, 53] {
      let rows = Array(all.prefix(count))
      let expected = JSONReport.renderUTF8(system: sampleSystem(), profile: .aws, connections: rows)
      for (workers, block) in [(1, 2048), (2, 1), (2, 7), (3, 7), (4, 50)] {
        XCTAssertEqual(streamed(rows, workers: workers, blockRows: block), expected, "\(count) rows, \(workers) workers, blocks of \(block)")
      }
    }
  }

  /// Analysis on several threads builds the same rows in the same order.
  func testParallelAnalysisGivesTheSameRows() {
    var snapshot = Snapshot(system: SystemInfo(), sockets: [])
    for i in 0..<101 {
      let record = Fixture.record(
        state: i % 7 == 0 ? .closeWait : .established, timer: i % 3 == 0 ? .keepalive : .off,
        expiresMs: UInt32(i * 100), idleMs: UInt32(i * 30_000), inode: UInt32(2000 + i), cookie: UInt64(i))
      snapshot.sockets.append(record)
      if i % 2 == 0 { snapshot.owners[record.inode] = Owner(pid: Int32(i), command: "redis-server", uid: 0, fd: Int32(i)) }
      if i % 3 == 0 { snapshot.options[record.inode] = Fixture.options(true, 900, 60, 5) }
    }
    let expected = Analyzer.analyze(snapshot, profile: .aws)
    XCTAssertTrue(expected.contains { !$0.risks.isEmpty })
    for (workers, block) in [(1, 4096), (2, 1), (2, 10), (3, 7), (4, 200)] {
      XCTAssertEqual(Analyzer.analyze(snapshot, profile: .aws, workers: workers, blockRows: block), expected, "\(workers) workers, blocks of \(block)")
    }
  }
}
