// Where katop's syslog lines go in tests: a datagram socket the test binds (KATOP_SYSLOG_SOCKET),
// and the real syslog(3) path to /dev/log inside a private mount namespace.
import Foundation
import XCTest

/// A unix datagram socket standing in for /dev/log.
final class SyslogListener {
  let path: String
  let fd: Int32

  init() throws {
    path = NSTemporaryDirectory() + "/katop-syslog-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
    fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    let bytes = Array(path.utf8)
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
      raw.copyBytes(from: bytes)
      raw[bytes.count] = 0
    }
    let rc = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    if rc != 0 { throw POSIXError(.EADDRINUSE) }
  }

  /// Every datagram received so far.
  func lines() -> [String] {
    var out: [String] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    for _ in 0..<10_000 {
      let n = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
      if n <= 0 { break }
      out.append(String(decoding: buffer[0..<n], as: UTF8.self))
    }
    return out
  }

  deinit {
    close(fd)
    unlink(path)
  }
}

/// The real syslog(3) path: in a private mount namespace with a tmpfs over /dev, a listener
/// bound to /dev/log receives what katop logs without KATOP_SYSLOG_SOCKET (no daemon needed).
final class RealSyslogTests: XCTestCase {
  func testSetKeepaliveLogsThroughDevLog() throws {
    guard getuid() == 0 else { throw XCTSkip("needs root (mount namespace, pidfd_getfd)") }
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare") else { throw XCTSkip("unshare (util-linux) missing") }
    let python = ["/usr/bin/python3", "/usr/local/bin/python3"].first { FileManager.default.isExecutableFile(atPath: $0) }
    guard let python else { throw XCTSkip("python3 missing") }
    try Binaries.require(Binaries.katop)
    let fixture = try FixtureProcess(["--port", "0", "--connections", "1"])
    defer { fixture.stop() }
    let listener = """
      import socket, sys
      s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
      s.bind("/dev/log")
      print("bound", flush=True)
      s.settimeout(10)
      for _ in range(2):
          print(s.recv(4096).decode(), flush=True)
      """
    // The old /dev stays reachable through a bind mount for the few nodes katop and sh need.
    let script = """
      set -e
      old=$(mktemp -d)
      mount --bind /dev "$old"
      mount -t tmpfs tmpfs /dev
      for f in null zero urandom random tty; do touch /dev/$f; mount --bind "$old/$f" /dev/$f; done
      \(python) -c '\(listener)' > "$old.log" &
      for i in $(seq 50); do grep -q bound "$old.log" 2>/dev/null && break; sleep 0.1; done
      env -u KATOP_SYSLOG_SOCKET \(Binaries.katop) set-keepalive --pid \(fixture.pid) --idle 61 --interval 11 --count 3 --yes >/dev/null
      wait
      cat "$old.log"; rm -f "$old.log"; umount "$old" 2>/dev/null || true; rmdir "$old" 2>/dev/null || true
      """
    let run = try runProcess("/usr/bin/unshare", ["-m", "--propagation", "private", "sh", "-c", script], timeout: 30)
    XCTAssertEqual(run.status, 0, run.stderr)
    let lines = run.stdout.split(separator: "\n").filter { $0.hasPrefix("<") }
    XCTAssertEqual(lines.count, 2, run.stdout + run.stderr)
    for line in lines {
      XCTAssertTrue(line.hasPrefix("<37>"), String(line))  // auth.notice
      XCTAssertTrue(line.contains(" katop[") && line.contains("]: set-keepalive by uid 0 (root"), String(line))
      XCTAssertTrue(line.hasSuffix("-> on 61/11/3 user-timeout 0ms"), String(line))
    }
    XCTAssertEqual(try fixture.options(), Array(repeating: "keepalive=1 idle=61 intvl=11 cnt=3 user_timeout=0", count: 2))
  }
}
