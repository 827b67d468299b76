// `katop log` end to end in the namespace lab: running in the client namespace, it hears three
// deaths and writes one JSON line each with owner, lifetime, idle and cause:
//   7101 the client closes after an echo (orderly close)
//   7102 `katop kill --port 7102 --yes` ends it (killed by katop)
//   7103 keepalive 1/1/2, then the router drops the flow: 2 probes unanswered (keepalive gave up)
import Foundation
import XCTest

final class LogCommandTests: XCTestCase {
  /// `server`: echoes on 7101-7103 until EOF. `client HOST`: opens the three flows (keepalive 1/1/2
  /// on 7103), says `ready`, closes 7101 after CLOSE_AFTER s, and waits on the others until they
  /// fail (then closes them, which frees the socket and sends its destroy message).
  static let peers = #"""
    import select, socket, sys, threading, time
    T = socket.IPPROTO_TCP
    def echo(c):
        try:
            while True:
                d = c.recv(100)
                if not d: break
                c.sendall(d)
        except OSError:
            pass
        c.close()
    if sys.argv[1] == "server":
        ls = []
        for port in (7101, 7102, 7103):
            l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            l.bind((sys.argv[2], port)); l.listen(4); ls.append(l)
        print("listening", flush=True)
        end = time.time() + 90
        while time.time() < end:
            r, _, _ = select.select(ls, [], [], 1)
            for l in r:
                c, _ = l.accept()
                threading.Thread(target=echo, args=(c,), daemon=True).start()
    else:
        host, close_after = sys.argv[2], float(sys.argv[3])
        flows = {}
        for port in (7101, 7102, 7103):
            s = socket.create_connection((host, port), timeout=5)
            if port == 7103:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
                s.setsockopt(T, socket.TCP_KEEPIDLE, 1); s.setsockopt(T, socket.TCP_KEEPINTVL, 1); s.setsockopt(T, socket.TCP_KEEPCNT, 2)
            s.sendall(b"hi"); s.recv(10)
            s.settimeout(None)
            flows[port] = s
        print("ready", flush=True)
        time.sleep(close_after)
        a = flows.pop(7101)
        a.sendall(b"bye"); a.recv(10); a.shutdown(socket.SHUT_WR); a.recv(10); a.close()
        print("closed 7101", flush=True)
        def wait(port, s):
            try: s.recv(10)
            except OSError as e: print("ended %d %s" % (port, e), flush=True)
            s.close()
        ts = [threading.Thread(target=wait, args=(p, s)) for p, s in flows.items()]
        for t in ts: t.start()
        for t in ts: t.join(60)
    """#

  func testLogWritesOneLinePerDeathWithItsCause() throws {
    try Binaries.require(Binaries.katop)
    guard let python = NamespaceLab.tool("python3") else { throw XCTSkip("python3 is not installed") }
    let lab = try NamespaceLab(tag: "l", establishedTimeout: 600)
    addTeardownBlock { lab.tearDown() }
    let script = NSTemporaryDirectory() + "/katop-log-peers-\(getpid()).py"
    try LogCommandTests.peers.write(toFile: script, atomically: true, encoding: .utf8)
    addTeardownBlock { unlink(script) }
    let output = NSTemporaryDirectory() + "/katop-log-\(getpid()).jsonl"
    addTeardownBlock { unlink(output) }

    let server = try LabProcess(lab, ns: lab.server, [python, script, "server", NamespaceLab.serverAddress])
    addTeardownBlock { server.stop() }
    XCTAssertNotNil(server.waitForLine("listening", timeout: 10), "server did not start: \(server.output)")
    let log = try LabProcess(
      lab, ns: lab.client, [Binaries.katop, "log", "--port", "7101,7102,7103", "--count", "3", "--output", output, "-d", "1"])
    addTeardownBlock { log.stop() }
    Thread.sleep(forTimeInterval: 1.5)
    let client = try LabProcess(lab, ns: lab.client, [python, script, "client", NamespaceLab.serverAddress, "3"])
    addTeardownBlock { client.stop() }
    XCTAssertNotNil(client.waitForLine("ready", timeout: 10), "client did not connect: \(client.output)")
    // Seen by katop log's dumps (every second) before anything dies.
    Thread.sleep(forTimeInterval: 2)
    let kill = try lab.run(lab.client, [Binaries.katop, "kill", "--port", "7102", "--yes"], timeout: 30)
    XCTAssertEqual(kill.status, 0, kill.stdout + kill.stderr)
    // The router now drops 7103's segments both ways: the client's probes go unanswered.
    for match in ["tcp dport 7103", "tcp sport 7103"] {
      try lab.exec(lab.router, [lab.nft, "insert rule inet katoplab forward \(match) drop"])
    }
    let deadline = Date().addingTimeInterval(30)
    while log.process.isRunning && Date() < deadline { usleep(100_000) }
    XCTAssertFalse(log.process.isRunning, "katop log did not write 3 events; client: \(client.output)")
    let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
    print("KATOP LOG\n" + text)
    var byPort: [Int: [String: Any]] = [:]
    for line in text.split(separator: "\n") {
      let event = try jsonObject(String(line))
      XCTAssertEqual(event["event"] as? String, "closed")
      if let remote = event["remote"] as? [String: Any], let port = remote["port"] as? Int { byPort[port] = event }
    }
    XCTAssertEqual(Set(byPort.keys), [7101, 7102, 7103], text)
    let expected = [7101: "orderly-close", 7102: "killed-by-katop", 7103: "keepalive-gave-up"]
    for (port, cause) in expected {
      guard let event = byPort[port] else { continue }
      XCTAssertEqual(event["cause"] as? String, cause, "\(port): \(event["summary"] ?? "")")
      XCTAssertEqual((event["owner"] as? [String: Any])?["command"] as? String, "python3", "\(port)")
      XCTAssertEqual(event["known"] as? Bool, true)
      let lifetime = event["lifetimeMs"] as? Int ?? -1
      XCTAssertGreaterThanOrEqual(lifetime, 1000, "\(port): lived past at least one dump")
      XCTAssertLessThan(lifetime, 60_000, "\(port)")
      XCTAssertNotNil(event["idleMs"] as? Int, "\(port)")
    }
    let c = byPort[7103] ?? [:]
    XCTAssertEqual((c["tcpInfo"] as? [String: Any])?["probes"] as? Int, 2, "2 probes out == keepcnt 2")
    XCTAssertEqual((c["keepalive"] as? [String: Any])?["idleSeconds"] as? Int, 1)
    XCTAssertGreaterThanOrEqual(c["idleMs"] as? Int ?? 0, 2000, "idle through the unanswered probes")
  }
}

final class LogOutputTests: XCTestCase {
  /// SIGHUP reopens --output by name: after logrotate moved the file away, the next line goes to
  /// a new file at the same path.
  func testSighupReopensTheOutputFile() throws {
    try Binaries.require(Binaries.katop)
    guard let python = NamespaceLab.tool("python3") else { throw XCTSkip("python3 is not installed") }
    let port = freePort()
    let path = NSTemporaryDirectory() + "/katop-log-hup-\(getpid()).jsonl"
    addTeardownBlock {
      unlink(path)
      unlink(path + ".1")
    }
    let log = Process()
    log.executableURL = URL(fileURLWithPath: Binaries.katop)
    log.arguments = ["log", "--port", String(port), "--count", "1", "--output", path]
    log.standardOutput = FileHandle.nullDevice
    try log.run()
    addTeardownBlock { if log.isRunning { log.terminate() } }
    Thread.sleep(forTimeInterval: 1.5)
    XCTAssertTrue(FileManager.default.fileExists(atPath: path), "--output is created at start")
    XCTAssertEqual(rename(path, path + ".1"), 0)
    kill(log.processIdentifier, SIGHUP)
    Thread.sleep(forTimeInterval: 0.3)
    let pair = "import socket\nl = socket.socket(); l.bind(('127.0.0.1', \(port))); l.listen()\n"
      + "c = socket.create_connection(('127.0.0.1', \(port))); s, _ = l.accept(); c.close(); s.close(); l.close()\n"
    let r = try runProcess(python, ["-c", pair], timeout: 20)
    XCTAssertEqual(r.status, 0, r.stderr)
    let deadline = Date().addingTimeInterval(10)
    while log.isRunning && Date() < deadline { usleep(50_000) }
    XCTAssertFalse(log.isRunning, "katop log did not log the connection")
    let fresh = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    let rotated = (try? String(contentsOfFile: path + ".1", encoding: .utf8)) ?? "missing"
    XCTAssertEqual(fresh.split(separator: "\n").count, 1, "the line went to the reopened file")
    XCTAssertTrue(fresh.contains("\"event\":\"closed\""), fresh)
    XCTAssertEqual(rotated, "", "nothing went to the moved file")
  }
}
