// In-process loopback sockets for the collector tests. Everything is closed by closeAll()
// (tests call it in a defer).

import CKatopNetlink
import Glibc
import KatopTestSupport
import XCTest

struct SocketError: Error, CustomStringConvertible {
  var what: String
  var code: Int32
  var description: String { "\(what): \(String(cString: strerror(code)))" }
}

@discardableResult
func check(_ result: Int32, _ what: String) throws -> Int32 {
  if result < 0 { throw SocketError(what: what, code: errno) }
  return result
}

final class LoopbackSockets {
  let ipv6: Bool
  let listener: Int32
  let port: UInt16
  private(set) var fds: [Int32] = []

  init(ipv6: Bool = false) throws {
    self.ipv6 = ipv6
    // A port number other sockets still use (TIME-WAIT remnants of an earlier test's connections
    // to a listener that had it) would add them to every port-filtered count: take another.
    var rejected: [Int32] = []
    defer { rejected.forEach { close($0) } }
    var fd: Int32 = -1
    var port: UInt16 = 0
    for attempt in 0..<20 {
      fd = try check(socket(ipv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0), "socket")
      var address = LoopbackSockets.address(port: 0, ipv6: ipv6)
      try check(LoopbackSockets.withSockaddr(&address) { bind(fd, $0, $1) }, "bind")
      try check(listen(fd, 4096), "listen")
      var bound = sockaddr_storage()
      var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
      try check(withUnsafeMutablePointer(to: &bound) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
      }, "getsockname")
      port = withUnsafeBytes(of: &bound) { UInt16(bigEndian: $0.loadUnaligned(fromByteOffset: 2, as: UInt16.self)) }
      if socketsUsing(port: port) <= 1 || attempt == 19 { break }
      rejected.append(fd)
    }
    listener = fd
    self.port = port
  }

  /// One connection: (client fd, server fd, client's local port).
  func connectPair() throws -> (client: Int32, server: Int32, clientPort: UInt16) {
    let client = try check(socket(ipv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0), "socket")
    fds.append(client)
    var address = LoopbackSockets.address(port: port, ipv6: ipv6)
    try check(LoopbackSockets.withSockaddr(&address) { connect(client, $0, $1) }, "connect")
    let server = try check(accept(listener, nil, nil), "accept")
    fds.append(server)
    var local = sockaddr_storage()
    var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
    try check(withUnsafeMutablePointer(to: &local) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(client, $0, &length) }
    }, "getsockname")
    let clientPort = withUnsafeBytes(of: &local) {
      UInt16(bigEndian: $0.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
    }
    return (client, server, clientPort)
  }

  func setKeepalive(_ fd: Int32, idle: Int32, interval: Int32, count: Int32) throws {
    let tcp = Int32(IPPROTO_TCP)
    try check(katop_setsockopt_int(fd, SOL_SOCKET, SO_KEEPALIVE, 1), "SO_KEEPALIVE")
    try check(katop_setsockopt_int(fd, tcp, katop_TCP_KEEPIDLE, idle), "TCP_KEEPIDLE")
    try check(katop_setsockopt_int(fd, tcp, katop_TCP_KEEPINTVL, interval), "TCP_KEEPINTVL")
    try check(katop_setsockopt_int(fd, tcp, katop_TCP_KEEPCNT, count), "TCP_KEEPCNT")
  }

  /// Closes one fd early (e.g. the server side, to leave the client in CLOSE_WAIT).
  func closeEarly(_ fd: Int32) {
    close(fd)
    fds.removeAll { $0 == fd }
  }

  /// Writes from `fd` until the peer's window and our send buffer are full.
  func flood(_ fd: Int32) {
    _ = fcntl(fd, F_SETFL, O_NONBLOCK)
    var chunk = [UInt8](repeating: 0x6B, count: 64 * 1024)
    var stalled = 0
    while stalled < 10 {
      let n = chunk.withUnsafeMutableBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
      if n > 0 { stalled = 0 } else { stalled += 1; usleep(5_000) }
    }
  }

  func closeAll() {
    for fd in fds { close(fd) }
    fds.removeAll()
    close(listener)
  }

  static func address(port: UInt16, ipv6: Bool) -> sockaddr_storage {
    var storage = sockaddr_storage()
    withUnsafeMutableBytes(of: &storage) { raw in
      if ipv6 {
        var a = sockaddr_in6()
        a.sin6_family = sa_family_t(AF_INET6)
        a.sin6_port = port.bigEndian
        a.sin6_addr = in6addr_loopback
        raw.storeBytes(of: a, as: sockaddr_in6.self)
      } else {
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = port.bigEndian
        a.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        raw.storeBytes(of: a, as: sockaddr_in.self)
      }
    }
    return storage
  }

  static func withSockaddr<T>(_ storage: inout sockaddr_storage, _ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
    let length = socklen_t(
      storage.ss_family == sa_family_t(AF_INET6) ? MemoryLayout<sockaddr_in6>.size : MemoryLayout<sockaddr_in>.size)
    return withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, length) } }
  }
}

/// Bytes from a hex string, ignoring spaces and newlines.
func hexBytes(_ text: String) -> [UInt8] {
  let digits = text.unicodeScalars.filter { !$0.properties.isWhitespace }.map { Character($0) }
  var bytes: [UInt8] = []
  var i = 0
  while i + 1 < digits.count {
    bytes.append(UInt8(String(digits[i...i + 1]), radix: 16) ?? 0)
    i += 2
  }
  return bytes
}
