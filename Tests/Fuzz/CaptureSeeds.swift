// Seed capture for the fuzz targets: opens a few loopback sockets in interesting states
// (listening, established with keepalive, half-closed, TIME_WAIT), then saves
// - raw sock_diag dump replies (whole dumps, single datagrams, single messages) -> netlink/
// - copies of /proc/net/tcp and /proc/net/tcp6 (whole and truncated) -> proc/
// Usage: capture-seeds OUTDIR. Built by Tests/Fuzz/run.sh with InetDiagRequest.swift,
// NetlinkDumpParser.swift and the KatopModel sources (for the request builder and constants).
import Glibc

@main
struct CaptureSeeds {
  static func main() {
    guard CommandLine.arguments.count == 2 else {
      fputs("usage: capture-seeds OUTDIR\n", stderr)
      exit(2)
    }
    let out = CommandLine.arguments[1]
    for dir in [out, out + "/netlink", out + "/proc"] { mkdir(dir, 0o755) }
    let held = LoopbackScene()
    defer { held.close() }
    var written = 0
    for family in [NetlinkConstants.afInet, NetlinkConstants.afInet6] {
      for (tag, bytecode) in [("all", [UInt8]()), ("ports", InetDiagRequest.portFilterBytecode(ports: [held.port4, held.port6, 22]))] {
        let datagrams = dump(family: family, bytecode: bytecode)
        let name = "\(out)/netlink/dump-\(family)-\(tag)"
        // A whole dump when small; otherwise its first datagram plus the final NLMSG_DONE one.
        let whole = datagrams.flatMap { $0 }
        let short = whole.count <= maxSeed ? whole : (datagrams.first ?? []) + (datagrams.count > 1 ? datagrams[datagrams.count - 1] : [])
        written += save(name + "-whole", short) ? 1 : 0
        for (i, d) in datagrams.prefix(8).enumerated() { written += save("\(name)-dgram\(i)", d) ? 1 : 0 }
        for (i, m) in messages(datagrams.first ?? []).prefix(24).enumerated() {
          written += save("\(name)-msg\(i)", m) ? 1 : 0
        }
      }
    }
    for path in ["/proc/net/tcp", "/proc/net/tcp6"] {
      let bytes = readAll(path)
      let base = out + "/proc/" + (path.hasSuffix("6") ? "tcp6" : "tcp")
      if bytes.count <= maxSeed { written += save(base + "-whole", bytes) ? 1 : 0 }
      // Header + first few lines: small seeds mutate faster.
      var lines = 0
      var cut = 0
      for (i, b) in bytes.enumerated() where b == 10 {
        lines += 1
        if lines == 4 || lines == 60 { cut = i + 1 }
        if lines == 4 { written += save(base + "-head", Array(bytes[0..<cut])) ? 1 : 0 }
        if lines == 60 { written += save(base + "-head60", Array(bytes[0..<cut])) ? 1 : 0; break }
      }
      if lines < 4 && !bytes.isEmpty { written += save(base + "-head", bytes) ? 1 : 0 }
    }
    print("captured \(written) seed files into \(out)")
  }

  /// One sock_diag dump: every datagram received until NLMSG_DONE.
  static func dump(family: UInt8, bytecode: [UInt8]) -> [[UInt8]] {
    let fd = socket(16 /* AF_NETLINK */, Int32(SOCK_DGRAM.rawValue), NetlinkConstants.netlinkSockDiag)
    guard fd >= 0 else {
      fputs("capture-seeds: no sock_diag socket (errno \(errno)); netlink seeds skipped\n", stderr)
      return []
    }
    defer { Glibc.close(fd) }
    let request = InetDiagRequest.dumpRequest(family: family, states: 0xFFFF_FFFF, sequence: 7, bytecode: bytecode)
    guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, 0) }) == request.count else { return [] }
    var datagrams: [[UInt8]] = []
    var buffer = [UInt8](repeating: 0, count: 256 * 1024)
    var parser = NetlinkDumpParser(expectedSequence: 7)
    var records: [SocketRecord] = []
    while !parser.done {
      let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
      if n <= 0 { break }
      let datagram = Array(buffer[0..<n])
      datagrams.append(datagram)
      do { try parser.parse(datagram[...], into: &records) } catch {
        fputs("capture-seeds: parser rejected a real reply: \(error)\n", stderr)
        break
      }
    }
    return datagrams
  }

  /// The netlink messages of one datagram, each on its own.
  static func messages(_ datagram: [UInt8]) -> [[UInt8]] {
    var out: [[UInt8]] = []
    var offset = 0
    while offset + 16 <= datagram.count {
      let length = Int(datagram[offset]) | Int(datagram[offset + 1]) << 8 | Int(datagram[offset + 2]) << 16
      guard length >= 16, offset + length <= datagram.count else { break }
      out.append(Array(datagram[offset..<(offset + length)]))
      offset += NetlinkConstants.align4(length)
    }
    return out
  }

  static func readAll(_ path: String) -> [UInt8] {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { return [] }
    defer { Glibc.close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
      let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
      if n <= 0 { break }
      bytes += chunk[0..<n]
    }
    return bytes
  }

  /// Seeds stay at most this big (the fuzzers run with -max_len=65536).
  static let maxSeed = 65536

  static func save(_ path: String, _ bytes: [UInt8]) -> Bool {
    guard !bytes.isEmpty, bytes.count <= maxSeed, let f = fopen(path, "wb") else { return false }
    defer { fclose(f) }
    return fwrite(bytes, 1, bytes.count, f) == bytes.count
  }
}

/// Loopback sockets held open while capturing: a listener per family, established pairs with
/// keepalive (short idle so the keepalive timer shows), a half-closed pair, and a TIME_WAIT.
final class LoopbackScene {
  var fds: [Int32] = []
  var port4: UInt16 = 0
  var port6: UInt16 = 0

  init() {
    port4 = listener(v6: false)
    port6 = listener(v6: true)
    for v6 in [false, true] {
      let port = v6 ? port6 : port4
      for _ in 0..<3 {
        let c = connectTo(port: port, v6: v6)
        var on: Int32 = 1, idle: Int32 = 30
        setsockopt(c, SOL_SOCKET, SO_KEEPALIVE, &on, 4)
        setsockopt(c, Int32(IPPROTO_TCP), TCP_KEEPIDLE, &idle, 4)
      }
      // Half-close: client FIN -> FIN_WAIT2 on the client, CLOSE_WAIT on the accepted side.
      let half = connectTo(port: port, v6: v6)
      shutdown(half, Int32(SHUT_WR))
      // TIME_WAIT: client closes after the server side closed.
      let tw = connectTo(port: port, v6: v6)
      Glibc.close(tw)
      fds.removeAll { $0 == tw }
    }
    usleep(100_000)
  }

  func listener(v6: Bool) -> UInt16 {
    let fd = socket(v6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    fds.append(fd)
    var addr = sockaddrStorage(port: 0, v6: v6)
    var len = socklen_t(v6 ? MemoryLayout<sockaddr_in6>.size : MemoryLayout<sockaddr_in>.size)
    withUnsafeMutableBytes(of: &addr) { raw in
      let sa = raw.baseAddress!.assumingMemoryBound(to: sockaddr.self)
      _ = bind(fd, sa, len)
      _ = listen(fd, 64)
      _ = getsockname(fd, sa, &len)
    }
    return v6
      ? withUnsafeBytes(of: &addr) { UInt16(bigEndian: $0.load(fromByteOffset: 2, as: UInt16.self)) }
      : withUnsafeBytes(of: &addr) { UInt16(bigEndian: $0.load(fromByteOffset: 2, as: UInt16.self)) }
  }

  func connectTo(port: UInt16, v6: Bool) -> Int32 {
    let fd = socket(v6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    fds.append(fd)
    var addr = sockaddrStorage(port: port, v6: v6)
    let len = socklen_t(v6 ? MemoryLayout<sockaddr_in6>.size : MemoryLayout<sockaddr_in>.size)
    withUnsafeMutableBytes(of: &addr) { raw in
      _ = connect(fd, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), len)
    }
    return fd
  }

  func sockaddrStorage(port: UInt16, v6: Bool) -> sockaddr_in6 {
    var a = sockaddr_in6()
    if v6 {
      a.sin6_family = sa_family_t(AF_INET6)
      a.sin6_port = port.bigEndian
      a.sin6_addr = in6addr_loopback
    } else {
      withUnsafeMutableBytes(of: &a) { raw in
        var v4 = sockaddr_in()
        v4.sin_family = sa_family_t(AF_INET)
        v4.sin_port = port.bigEndian
        v4.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        withUnsafeBytes(of: v4) { raw.copyMemory(from: $0) }
      }
    }
    return a
  }

  func close() { for fd in fds { Glibc.close(fd) } }
}
