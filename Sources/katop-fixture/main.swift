// katop-fixture: a loopback listener plus N client connections in one process, for tests and
// benchmarks.
//
//   katop-fixture --port P --connections N [--keepalive IDLE,INTVL,CNT] [--keepalive-fraction F]
//                 [--keepalive-spread S] [--close-wait K] [--no-read-peer] [--ipv6] [--comm NAME]
//   katop-fixture --deny-netlink PROGRAM [ARGS...]
//
// --keepalive-spread S spreads the keepalive idle time of the connections evenly over IDLE to
// IDLE+S seconds. Thousands of connections opened in one go with one idle time probe in the same
// timer tick (the kernel's timer wheel rounds a 300 s timer to ~16 s) and their loopback packets
// overflow the per-CPU backlog (net.core.netdev_max_backlog, 1000): most probes are dropped, and
// five rounds of that abort the connections (TCPAbortOnTimeout). Load generators use it.
//
// --comm sets the process name (/proc/self/comm, at most 15 bytes, any bytes but NUL) so tests
// can give katop a hostile owner name. --deny-netlink runs PROGRAM under a seccomp filter that
// makes socket(AF_NETLINK, ...) fail with EPERM (a sandbox without netlink), for the /proc
// fallback test of the real binary.
//
// Prints `ready pid=PID port=P` once everything is set up, then waits for EOF on stdin or
// SIGTERM/SIGINT and exits 0 (the kernel closes every socket). Meanwhile it answers the stdin
// lines `options` and `recv` with its own view of its sockets (see `answer`).

import CKatopNetlink
import Glibc

struct Options {
  var port: UInt16 = 0
  var connections = 0
  var keepalive: (idle: Int32, interval: Int32, count: Int32)? = nil
  var keepaliveFraction = 1.0
  var keepaliveSpread: Int32 = 0
  var closeWait = 0
  var noReadPeer = false
  var ipv6 = false
  var comm: String? = nil
}

/// Writes one line straight to `fd` (no stdio buffer: stdout and stderr are globals Swift 6 rejects).
func writeLine(_ fd: Int32, _ line: String) {
  let bytes = Array((line + "\n").utf8)
  var done = 0
  while done < bytes.count {
    let n = bytes[done...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    if n < 0 && errno == EINTR { continue }
    if n <= 0 { return }
    done += n
  }
}

func fail(_ message: String) -> Never {
  writeLine(2, "katop-fixture: \(message)")
  exit(2)
}

func parseOptions(_ arguments: [String]) -> Options {
  var options = Options()
  var i = 1
  func value() -> String {
    i += 1
    guard i < arguments.count else { fail("\(arguments[i - 1]) needs a value") }
    return arguments[i]
  }
  while i < arguments.count {
    switch arguments[i] {
    case "--port":
      guard let p = UInt16(value()) else { fail("bad --port") }
      options.port = p
    case "--connections":
      guard let n = Int(value()), n >= 0 else { fail("bad --connections") }
      options.connections = n
    case "--keepalive":
      let parts = value().split(separator: ",").compactMap { Int32($0) }
      guard parts.count == 3 else { fail("--keepalive wants IDLE,INTVL,CNT") }
      options.keepalive = (parts[0], parts[1], parts[2])
    case "--keepalive-fraction":
      guard let f = Double(value()), f >= 0, f <= 1 else { fail("bad --keepalive-fraction") }
      options.keepaliveFraction = f
    case "--keepalive-spread":
      guard let s = Int32(value()), s >= 0, s <= 86_400 else { fail("bad --keepalive-spread") }
      options.keepaliveSpread = s
    case "--close-wait":
      guard let k = Int(value()), k >= 0 else { fail("bad --close-wait") }
      options.closeWait = k
    case "--no-read-peer": options.noReadPeer = true
    case "--ipv6": options.ipv6 = true
    case "--comm": options.comm = value()
    case "-h", "--help":
      print("usage: katop-fixture --port P --connections N [--keepalive IDLE,INTVL,CNT] "
        + "[--keepalive-fraction F] [--keepalive-spread S] [--close-wait K] [--no-read-peer] [--ipv6] [--comm NAME]\n"
        + "       katop-fixture --deny-netlink PROGRAM [ARGS...]")
      exit(0)
    default: fail("unknown argument \(arguments[i])")
    }
    i += 1
  }
  // 2 fds per connection plus the listener must stay under the usual 20,000 fd limit.
  let total = options.connections + (options.noReadPeer ? 1 : 0)
  if total * 2 + 16 > 20_000 { fail("too many connections: keep 2 x N under 20,000 fds") }
  if options.closeWait > options.connections { fail("--close-wait exceeds --connections") }
  return options
}

func check(_ result: Int32, _ what: String) {
  if result < 0 { fail("\(what): \(String(cString: strerror(errno)))") }
}

/// A loopback sockaddr for `port` (network order inside), in a sockaddr_storage.
func loopback(port: UInt16, ipv6: Bool) -> (sockaddr_storage, socklen_t) {
  var storage = sockaddr_storage()
  if ipv6 {
    withUnsafeMutableBytes(of: &storage) { raw in
      var a = sockaddr_in6()
      a.sin6_family = sa_family_t(AF_INET6)
      a.sin6_port = port.bigEndian
      a.sin6_addr = in6addr_loopback
      raw.storeBytes(of: a, as: sockaddr_in6.self)
    }
    return (storage, socklen_t(MemoryLayout<sockaddr_in6>.size))
  }
  withUnsafeMutableBytes(of: &storage) { raw in
    var a = sockaddr_in()
    a.sin_family = sa_family_t(AF_INET)
    a.sin_port = port.bigEndian
    a.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
    raw.storeBytes(of: a, as: sockaddr_in.self)
  }
  return (storage, socklen_t(MemoryLayout<sockaddr_in>.size))
}

func withAddress<T>(_ address: inout sockaddr_storage, _ body: (UnsafeMutablePointer<sockaddr>) -> T) -> T {
  withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1, body) }
}

/// Sets this process's name by writing /proc/self/comm (the kernel keeps the first 15 bytes).
func setCommand(_ name: String) {
  let fd = open("/proc/self/comm", O_WRONLY | O_CLOEXEC)
  check(fd, "open /proc/self/comm")
  let bytes = Array(name.utf8)
  check(Int32(bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }), "write /proc/self/comm")
  close(fd)
}

/// --deny-netlink PROGRAM ARGS...: exec PROGRAM with netlink sockets denied by seccomp.
func execWithoutNetlink(_ command: [String]) -> Never {
  guard let program = command.first else { fail("--deny-netlink needs a program") }
  let rc = katop_deny_netlink_sockets()
  if rc < 0 { fail("cannot install the seccomp filter: \(String(cString: strerror(-rc)))") }
  let argv = command.map { strdup($0) } + [nil]
  execv(program, argv)
  fail("exec \(program): \(String(cString: strerror(errno)))")
}

if CommandLine.arguments.count > 1 && CommandLine.arguments[1] == "--deny-netlink" {
  execWithoutNetlink(Array(CommandLine.arguments.dropFirst(2)))
}
let options = parseOptions(CommandLine.arguments)
if let name = options.comm { setCommand(name) }
let family = options.ipv6 ? AF_INET6 : AF_INET
let stream = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)

let listener = socket(family, stream, 0)
check(listener, "socket")
check(katop_setsockopt_int(listener, SOL_SOCKET, SO_REUSEADDR, 1), "SO_REUSEADDR")
var (listenAddress, listenLength) = loopback(port: options.port, ipv6: options.ipv6)
check(withAddress(&listenAddress) { bind(listener, $0, listenLength) }, "bind")
check(listen(listener, 4096), "listen")
var bound = sockaddr_storage()
var boundLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
check(withAddress(&bound) { getsockname(listener, $0, &boundLength) }, "getsockname")
let port: UInt16 = withUnsafeBytes(of: &bound) { raw in
  // sin_port and sin6_port both sit at offset 2.
  UInt16(bigEndian: raw.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
}

/// Connects one client and accepts its server side (one at a time, so accept order = connect order).
func connectPair() -> (client: Int32, server: Int32) {
  let client = socket(family, stream, 0)
  check(client, "socket")
  var (address, length) = loopback(port: port, ipv6: options.ipv6)
  while withAddress(&address, { connect(client, $0, length) }) < 0 {
    if errno != EINTR { fail("connect: \(String(cString: strerror(errno)))") }
  }
  var server: Int32 = -1
  repeat { server = accept(listener, nil, nil) } while server < 0 && errno == EINTR
  check(server, "accept")
  return (client, server)
}

var clients: [Int32] = []
var servers: [Int32] = []
clients.reserveCapacity(options.connections + 1)
let keepaliveCount = Int((options.keepaliveFraction * Double(options.connections)).rounded(.up))
for index in 0..<options.connections {
  let (client, server) = connectPair()
  if let keepalive = options.keepalive, index < keepaliveCount {
    let tcp = Int32(IPPROTO_TCP)
    check(katop_setsockopt_int(client, SOL_SOCKET, SO_KEEPALIVE, 1), "SO_KEEPALIVE")
    let spread = Int64(options.keepaliveSpread) * Int64(index) / Int64(max(1, keepaliveCount))
    check(katop_setsockopt_int(client, tcp, katop_TCP_KEEPIDLE, keepalive.idle + Int32(spread)), "TCP_KEEPIDLE")
    check(katop_setsockopt_int(client, tcp, katop_TCP_KEEPINTVL, keepalive.interval), "TCP_KEEPINTVL")
    check(katop_setsockopt_int(client, tcp, katop_TCP_KEEPCNT, keepalive.count), "TCP_KEEPCNT")
  }
  clients.append(client)
  servers.append(server)
}
// CLOSE_WAIT: the server side of the last K connections closes; their clients never do.
for index in stride(from: options.connections - 1, through: options.connections - options.closeWait, by: -1)
where options.closeWait > 0 {
  close(servers[index])
  servers[index] = -1
}
// Zero window: a client that floods a server that never reads.
if options.noReadPeer {
  let (client, server) = connectPair()
  clients.append(client)
  servers.append(server)
  _ = fcntl(client, F_SETFL, O_NONBLOCK)
  var chunk = [UInt8](repeating: 0x6B, count: 64 * 1024)
  var stalled = 0
  while stalled < 20 {
    let n = chunk.withUnsafeMutableBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    if n > 0 { stalled = 0; continue }
    if errno != EAGAIN && errno != EWOULDBLOCK { fail("flood: \(String(cString: strerror(errno)))") }
    stalled += 1
    usleep(5_000)  // let the receiver's window close and the queue settle
  }
}

var stop: sig_atomic_t = 0
// sigaction without SA_RESTART, so the blocking read() below returns EINTR on SIGTERM/SIGINT
// (signal() would restart it).
var action = sigaction()
action.__sigaction_handler.sa_handler = { _ in stop = 1 }
action.sa_flags = 0
sigemptyset(&action.sa_mask)
sigaction(SIGTERM, &action, nil)
sigaction(SIGINT, &action, nil)
signal(SIGPIPE, SIG_IGN)

// Unbuffered: the parent waits for this line on a pipe.
writeLine(1, "ready pid=\(getpid()) port=\(port)")

/// The fixture's own view of its sockets `fds`, one line per fd and `end`:
/// `options` -> `fd=N keepalive=K idle=I intvl=V cnt=C user_timeout=U` (its getsockopt);
/// `recv` -> `fd=N recv=EAGAIN|EOF|DATA|ECONNABORTED|ECONNRESET|errno N` (a non-blocking peek).
func answer(_ command: String, fds: [Int32]) -> [String] {
  let tcp = Int32(IPPROTO_TCP)
  var lines: [String] = []
  for fd in fds where fd >= 0 {
    switch command {
    case "options":
      var v: [Int32] = [0, 0, 0, 0, 0]
      _ = katop_getsockopt_int(fd, SOL_SOCKET, SO_KEEPALIVE, &v[0])
      _ = katop_getsockopt_int(fd, tcp, katop_TCP_KEEPIDLE, &v[1])
      _ = katop_getsockopt_int(fd, tcp, katop_TCP_KEEPINTVL, &v[2])
      _ = katop_getsockopt_int(fd, tcp, katop_TCP_KEEPCNT, &v[3])
      _ = katop_getsockopt_int(fd, tcp, katop_TCP_USER_TIMEOUT, &v[4])
      lines.append("fd=\(fd) keepalive=\(v[0]) idle=\(v[1]) intvl=\(v[2]) cnt=\(v[3]) user_timeout=\(v[4])")
    case "recv":
      var byte: UInt8 = 0
      let n = recv(fd, &byte, 1, Int32(MSG_DONTWAIT) | Int32(MSG_PEEK))
      let e = errno
      let names = [EAGAIN: "EAGAIN", ECONNABORTED: "ECONNABORTED", ECONNRESET: "ECONNRESET"]
      lines.append("fd=\(fd) recv=\(n > 0 ? "DATA" : n == 0 ? "EOF" : names[e] ?? "errno \(e)")")
    default: break
    }
  }
  return lines + ["end"]
}

// Wait for stdin EOF or a signal (the handlers interrupt read with EINTR); answer commands.
var byte: UInt8 = 0
var line: [UInt8] = []
while stop == 0 {
  let n = read(0, &byte, 1)
  if n == 0 { break }
  if n < 0 && errno != EINTR { break }
  if n < 0 { continue }
  if byte != 10 {
    if line.count < 64 { line.append(byte) }
    continue
  }
  writeLine(1, answer(String(decoding: line, as: UTF8.self), fds: clients + servers).joined(separator: "\n"))
  line.removeAll()
}
for fd in clients + servers where fd >= 0 { close(fd) }
close(listener)
exit(0)
