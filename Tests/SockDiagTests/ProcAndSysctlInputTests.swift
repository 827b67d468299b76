// Bad /proc files the collector reads outside the parsers: an unreadable /proc/net/tcp, a
// missing /proc/net/tcp6, odd values in the tcp_keepalive_* sysctls (docs/bad-input.md).
import Foundation
import Glibc
import KatopModel
import XCTest

@testable import SockDiag

final class ProcAndSysctlInputTests: XCTestCase {
  var scratch = ""

  override func setUpWithError() throws {
    scratch = NSTemporaryDirectory() + "katop-proc-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
  }

  override func tearDown() {
    chmod(scratch + "/tcp-locked", 0o600)
    try? FileManager.default.removeItem(atPath: scratch)
  }

  func write(_ text: String, to name: String) throws -> String {
    let path = scratch + "/" + name
    try FileManager.default.createDirectory(
      atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    return path
  }

  func procCollector(v4: String, v6: String) -> Collector {
    let collector = Collector(source: .proc)
    collector.procNetTCPPaths = (v4: v4, v6: v6)
    return collector
  }

  func collectError(_ collector: Collector) -> CollectorError? {
    do {
      _ = try collector.collect(CollectRequest(ports: [1]))
      return nil
    } catch {
      return error as? CollectorError
    }
  }

  // MARK: unreadable /proc/net/tcp

  func testUnreadableProcNetTCPIsAOneLineError() throws {
    let missing = scratch + "/no-such-tcp"
    let error = try XCTUnwrap(collectError(procCollector(v4: missing, v6: "/proc/net/tcp6")))
    XCTAssertEqual(error.description, "cannot read \(missing) (ENOENT)")
    // A directory opens but read() fails.
    let directory = try XCTUnwrap(collectError(procCollector(v4: scratch, v6: "/proc/net/tcp6")))
    XCTAssertEqual(directory.description, "cannot read \(scratch) (EISDIR)")
    // tcp6 unreadable for another reason than "missing" is an error too, not silently skipped.
    let v6 = try XCTUnwrap(collectError(procCollector(v4: "/proc/net/tcp", v6: scratch)))
    XCTAssertEqual(v6.description, "cannot read \(scratch) (EISDIR)")
    for e in [error, directory, v6] { XCTAssertFalse(e.description.contains("\n")) }

    // After a netlink failure the fallback meets the same file: still one error, no trap.
    let fallback = Collector()
    fallback.openNetlink = { throw CollectorError.netlinkSocket(errno: EPERM) }
    fallback.procNetTCPPaths = (v4: missing, v6: "/proc/net/tcp6")
    XCTAssertEqual(collectError(fallback)?.description, "cannot read \(missing) (ENOENT)")
  }

  func testProcNetTCPWithoutPermissionIsEACCES() throws {
    guard getuid() != 0 else { throw XCTSkip("root reads a mode-000 file anyway: EACCES case needs non-root") }
    let locked = try write("", to: "tcp-locked")
    XCTAssertEqual(chmod(locked, 0), 0)
    XCTAssertEqual(collectError(procCollector(v4: locked, v6: "/proc/net/tcp6"))?.description,
                   "cannot read \(locked) (EACCES)")
  }

  // MARK: missing /proc/net/tcp6

  func testMissingProcNetTCP6ListsIPv4AndSaysSo() throws {
    let sockets = try LoopbackSockets()
    defer { sockets.closeAll() }
    let pair = try sockets.connectPair()
    let missing = scratch + "/no-such-tcp6"
    let snapshot = try procCollector(v4: "/proc/net/tcp", v6: missing)
      .collect(CollectRequest(ports: [sockets.port], owners: false, socketOptions: false))
    XCTAssertEqual(snapshot.status.source, .proc)
    XCTAssertEqual(snapshot.sockets.count, 3, "listener and both ends")
    XCTAssertTrue(snapshot.sockets.contains { $0.local.port == pair.clientPort && $0.state == .established })
    XCTAssertTrue(snapshot.status.noteTexts.contains("no \(missing) (IPv6 off?): IPv6 sockets not listed"),
                  "\(snapshot.status.noteTexts)")
    XCTAssertTrue(snapshot.status.noteTexts.contains("source proc requested: using /proc/net/tcp, no tcp_info"))
    let table = TableReport.render(system: snapshot.system, status: snapshot.status, profile: .aws, connections: Analyzer.analyze(snapshot, profile: .aws))
    XCTAssertTrue(table.contains("note: no \(missing) (IPv6 off?)"), table)

    // With both files present there is no such note.
    let normal = try Collector(source: .proc).collect(CollectRequest(ports: [sockets.port], owners: false, socketOptions: false))
    XCTAssertFalse(normal.status.noteTexts.contains { $0.contains("IPv6") }, "\(normal.status.noteTexts)")
  }

  // MARK: tcp_keepalive_* sysctls

  func testSysctlValueAcceptsNumbersInRangeOnly() {
    let range = 0...SystemInfoReader.maxSysctlSeconds
    func value(_ text: String?) -> (Int, String?) {
      let r = SystemInfoReader.sysctlValue(text, name: "tcp_keepalive_time", range: range, fallback: 7200)
      return (r.value, r.note?.text)
    }
    XCTAssertEqual(value("60\n").0, 60)
    XCTAssertNil(value("60\n").1)
    XCTAssertEqual(value("  60 \t\n").0, 60)
    XCTAssertEqual(value("0\n").0, 0)
    XCTAssertEqual(value("\(SystemInfoReader.maxSysctlSeconds)\n").0, SystemInfoReader.maxSysctlSeconds)
    let missing = value(nil)
    XCTAssertEqual(missing.0, 7200)
    XCTAssertNil(missing.1, "a missing file keeps the default silently")

    let bad: [(String, String)] = [
      ("abc\n", "ignoring tcp_keepalive_time: 'abc' is not a number in 0-21474836; assuming 7200"),
      ("-5\n", "ignoring tcp_keepalive_time: '-5' is not a number in 0-21474836; assuming 7200"),
      ("21474837\n", "ignoring tcp_keepalive_time: '21474837' is not a number in 0-21474836; assuming 7200"),
      ("9223372036854775807\n", "ignoring tcp_keepalive_time: '9223372036854775807' is not a number in 0-21474836; assuming 7200"),
      ("99999999999999999999999999999999\n",
       "ignoring tcp_keepalive_time: '999999999999999999999999...' is not a number in 0-21474836; assuming 7200"),
      ("", "ignoring tcp_keepalive_time: empty; assuming 7200"),
      ("\n", "ignoring tcp_keepalive_time: empty; assuming 7200"),
      ("7200 7200\n", "ignoring tcp_keepalive_time: '7200 7200' is not a number in 0-21474836; assuming 7200"),
      ("1.5\n", "ignoring tcp_keepalive_time: '1.5' is not a number in 0-21474836; assuming 7200"),
      ("\u{1b}[2J\u{7}\n", "ignoring tcp_keepalive_time: '?[2J?' is not a number in 0-21474836; assuming 7200"),
    ]
    for (text, note) in bad {
      let r = value(text)
      XCTAssertEqual(r.0, 7200, "\(text.debugDescription)")
      XCTAssertEqual(r.1, note, "\(text.debugDescription)")
    }
  }

  /// The split dump's port and the dump's capacity hint come from small /proc files too: odd
  /// contents fall back (46883, 0) instead of trapping.
  func testPortRangeAndSockstatHintsTolerateOddFiles() throws {
    XCTAssertEqual(SystemInfoReader.ephemeralPortMiddle(procRoot: scratch), 46883, "missing file")
    for (text, expected) in [
      ("32768\t60999\n", 46883), ("1024 65535\n", 33279), ("9 9\n", 9), ("60999 32768\n", 46883),
      ("0 100\n", 46883), ("1 70000\n", 46883), ("abc\n", 46883), ("", 46883), ("5\n", 46883),
    ] {
      _ = try write(text, to: "sys/net/ipv4/ip_local_port_range")
      XCTAssertEqual(Int(SystemInfoReader.ephemeralPortMiddle(procRoot: scratch)), expected, "'\(text)'")
    }
    XCTAssertEqual(SystemInfoReader.tcpSocketEstimate(procRoot: scratch), 0, "missing files")
    _ = try write("sockets: used 9\nTCP: inuse 1200 orphan 3 tw 40 alloc 1300 mem 5\nUDP: inuse 7 mem 1\n", to: "net/sockstat")
    _ = try write("TCP6: inuse 30\nUDP6: inuse 2\n", to: "net/sockstat6")
    XCTAssertEqual(SystemInfoReader.tcpSocketEstimate(procRoot: scratch), 1270)
    _ = try write("TCP: inuse x tw 99999999999999999999\nTCP: inuse\n", to: "net/sockstat")
    XCTAssertEqual(SystemInfoReader.tcpSocketEstimate(procRoot: scratch), 30)
    // The real files: at least the sockets of this test.
    let sockets = try LoopbackSockets()
    defer { sockets.closeAll() }
    _ = try sockets.connectPair()
    XCTAssertGreaterThanOrEqual(SystemInfoReader.tcpSocketEstimate(), 3)
  }

  func testOddSysctlFilesKeepDefaultsWithNotesAndReportsStillWork() throws {
    _ = try write("abc\n", to: "sys/net/ipv4/tcp_keepalive_time")
    _ = try write("-75\n", to: "sys/net/ipv4/tcp_keepalive_intvl")
    _ = try write("4096\n", to: "sys/net/ipv4/tcp_keepalive_probes")
    _ = try write("", to: "sys/net/ipv4/tcp_retries2")
    // no net/netstat: counters stay unknown
    var info = SystemInfo()
    var notes: [CollectorNote] = []
    SystemInfoReader.readSettings(into: &info, notes: &notes, procRoot: scratch)
    XCTAssertEqual(info.keepaliveTime, 7200)
    XCTAssertEqual(info.keepaliveInterval, 75)
    XCTAssertEqual(info.keepaliveProbes, 9)
    XCTAssertEqual(info.tcpRetries2, 15)
    XCTAssertNil(info.keepaliveProbesSent)
    XCTAssertEqual(notes.map(\.text), [
      "ignoring tcp_keepalive_time: 'abc' is not a number in 0-21474836; assuming 7200",
      "ignoring tcp_keepalive_intvl: '-75' is not a number in 0-21474836; assuming 75",
      "ignoring tcp_keepalive_probes: '4096' is not a number in 0-255; assuming 9",
      "ignoring tcp_retries2: empty; assuming 15",
    ])

    // The largest values accepted go through the keepalive maths and reports without trapping.
    _ = try write("\(SystemInfoReader.maxSysctlSeconds)\n", to: "sys/net/ipv4/tcp_keepalive_time")
    _ = try write("\(SystemInfoReader.maxSysctlSeconds)\n", to: "sys/net/ipv4/tcp_keepalive_intvl")
    _ = try write("255\n", to: "sys/net/ipv4/tcp_keepalive_probes")
    _ = try write("255\n", to: "sys/net/ipv4/tcp_retries2")
    var extreme = SystemInfo()
    var extremeNotes: [CollectorNote] = []
    SystemInfoReader.readSettings(into: &extreme, notes: &extremeNotes, procRoot: scratch)
    XCTAssertEqual(extremeNotes, [])
    XCTAssertEqual(extreme.keepaliveProbes, 255)

    let sockets = try LoopbackSockets()
    defer { sockets.closeAll() }
    let pair = try sockets.connectPair()
    try sockets.setKeepalive(pair.client, idle: 30, interval: 5, count: 2)
    var snapshot = try Collector().collect(CollectRequest(ports: [sockets.port], socketOptions: false))
    snapshot.system = extreme
    let rows = Analyzer.analyze(snapshot, profile: .aws)
    XCTAssertEqual(rows.count, 3)
    let json = JSONReport.render(system: snapshot.system, status: snapshot.status, profile: .aws, connections: rows)
    XCTAssertNoThrow(try JSONSerialization.jsonObject(with: Data(json.utf8)), json)
    XCTAssertTrue(json.contains("\"time\":\(SystemInfoReader.maxSysctlSeconds)"), json)
    XCTAssertTrue(TableReport.render(system: snapshot.system, status: snapshot.status, profile: .aws, connections: rows).contains("probes 255"))
  }
}
