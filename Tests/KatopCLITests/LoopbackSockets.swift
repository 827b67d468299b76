// Loopback sockets opened by the test process itself, with known options.
import Foundation
import KatopTestSupport
import XCTest

final class LoopbackPair {
  let listener: Int32
  let port: UInt16
  private(set) var clients: [Int32] = []
  private(set) var accepted: [Int32] = []

  init() throws {
    // A port number other sockets still use (TIME-WAIT remnants of an earlier test's connections)
    // would add them to every port-filtered report: take another.
    var rejected: [Int32] = []
    defer { rejected.forEach { close($0) } }
    var fd: Int32 = -1
    var addr = sockaddr_in()
    for attempt in 0..<20 {
      fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
      addr = sockaddr_in()
      addr.sin_family = sa_family_t(AF_INET)
      addr.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
      var len = socklen_t(MemoryLayout<sockaddr_in>.size)
      let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
      guard rc == 0, listen(fd, 128) == 0 else { close(fd); throw POSIXError(.EADDRINUSE) }
      _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
      if socketsUsing(port: UInt16(bigEndian: addr.sin_port)) <= 1 || attempt == 19 { break }
      rejected.append(fd)
    }
    listener = fd
    port = UInt16(bigEndian: addr.sin_port)
  }

  /// Connects one client; returns (client fd, its local port). Keepalive = (idle, intvl, cnt).
  @discardableResult
  func connectClient(keepalive: (Int32, Int32, Int32)? = nil) throws -> (fd: Int32, localPort: UInt16) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    if let (idle, intvl, cnt) = keepalive {
      var one: Int32 = 1, i = idle, n = intvl, c = cnt
      let size = socklen_t(MemoryLayout<Int32>.size)
      setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, size)
      setsockopt(fd, Int32(IPPROTO_TCP), TCP_KEEPIDLE, &i, size)
      setsockopt(fd, Int32(IPPROTO_TCP), TCP_KEEPINTVL, &n, size)
      setsockopt(fd, Int32(IPPROTO_TCP), TCP_KEEPCNT, &c, size)
    }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
    addr.sin_port = port.bigEndian
    let len = socklen_t(MemoryLayout<sockaddr_in>.size)
    let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, len) } }
    guard rc == 0 else { close(fd); throw POSIXError(.ECONNREFUSED) }
    let server = accept(listener, nil, nil)
    guard server >= 0 else { close(fd); throw POSIXError(.ECONNABORTED) }
    clients.append(fd)
    accepted.append(server)
    var local = sockaddr_in()
    var l2 = len
    _ = withUnsafeMutablePointer(to: &local) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &l2) } }
    return (fd, UInt16(bigEndian: local.sin_port))
  }

  func closeAll() {
    for fd in clients + accepted + [listener] { close(fd) }
    clients = []
    accepted = []
  }

  deinit { closeAll() }
}
