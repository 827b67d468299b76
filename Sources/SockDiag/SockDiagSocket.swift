// The NETLINK_SOCK_DIAG socket: sends a dump request (both families in one walk, or one family)
// and feeds every received datagram to NetlinkDumpParser. Hot path: one reused receive buffer, no Foundation,
// no allocation per socket (records go into a pre-reserved array).

import CKatopNetlink
import Glibc
import KatopModel

/// Takes the records parsed so far during a dump (and may empty the array).
typealias RecordFlush = (inout [SocketRecord]) -> Void

final class SockDiagSocket {
  /// Receive buffer: the kernel puts at most ~32 KiB in one dump datagram, a bigger buffer
  /// just guarantees nothing is ever truncated.
  static let receiveBufferSize = 256 * 1024
  /// SO_RCVBUF asked for, so the kernel can queue several dump datagrams ahead of us.
  static let socketBufferSize: Int32 = 4 << 20

  let fd: Int32
  private var sequence: UInt32
  let buffer: UnsafeMutableRawBufferPointer
  /// A batch of lookup requests (72 bytes each), reused from batch to batch.
  private var lookupRequest: [UInt8] = []
  /// Test seam: stands in for recv(2). Gets the receive buffer and the dump's sequence number,
  /// returns the byte count written or -errno (kernel surprises: NLMSG_ERROR, ENOBUFS ...).
  var receiveOverride: ((UnsafeMutableRawBufferPointer, UInt32) -> Int)?
  /// Test seam: sees (and may rewrite) every request before it is sent.
  var requestOverride: (([UInt8]) -> [UInt8])?

  init() throws {
    let fd = socket(katop_AF_NETLINK, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue),
                    katop_NETLINK_SOCK_DIAG)
    if fd < 0 { throw CollectorError.netlinkSocket(errno: errno) }
    self.fd = fd
    // Best effort: SO_RCVBUFFORCE (root) lifts rmem_max, SO_RCVBUF is capped by it.
    if katop_setsockopt_int(fd, SOL_SOCKET, SO_RCVBUFFORCE, SockDiagSocket.socketBufferSize) != 0 {
      _ = katop_setsockopt_int(fd, SOL_SOCKET, SO_RCVBUF, SockDiagSocket.socketBufferSize)
    }
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    sequence = UInt32(truncatingIfNeeded: ts.tv_nsec) | 1
    buffer = UnsafeMutableRawBufferPointer.allocate(
      byteCount: SockDiagSocket.receiveBufferSize, alignment: 8)
  }

  deinit {
    buffer.deallocate()
    close(fd)
  }

  /// Dumps IPv4 and IPv6 in one kernel walk (TCPDIAG_GETSOCK, AF_UNSPEC). Returns true when the
  /// kernel flagged the dump as interrupted. A kernel refusing the request throws
  /// CollectorError.kernel with family AF_UNSPEC.
  /// `flush`: called after each datagram with the records so far (a streamed walk hands them on
  /// and empties the array).
  func dumpAllFamilies(
    states: UInt32, bytecode: [UInt8], into records: inout [SocketRecord], flush: RecordFlush? = nil
  ) throws -> Bool {
    sequence &+= 1
    let request = InetDiagRequest.allFamiliesDumpRequest(states: states, sequence: sequence, bytecode: bytecode)
    return try run(request, family: NetlinkConstants.afUnspec, into: &records, flush: flush)
  }

  /// Dumps one address family. Returns true when the kernel flagged the dump as interrupted.
  func dump(family: UInt8, states: UInt32, bytecode: [UInt8], into records: inout [SocketRecord], flush: RecordFlush? = nil)
    throws -> Bool
  {
    sequence &+= 1
    let request = InetDiagRequest.dumpRequest(
      family: family, states: states, sequence: sequence, bytecode: bytecode)
    return try run(request, family: family, into: &records, flush: flush)
  }

  /// Sends an exact lookup of every socket in `batch` (one request each, one send()) and reads
  /// the replies. Returns the parser holding them, complete, or throws LookupMiss /
  /// NetlinkParseError / CollectorError; after a failure the socket may hold unread replies.
  func lookUp(_ batch: ArraySlice<SocketRecord>) throws -> LookupReplyParser {
    let first = sequence &+ 1
    sequence &+= UInt32(truncatingIfNeeded: batch.count)
    lookupRequest.removeAll(keepingCapacity: true)
    for (i, record) in batch.enumerated() {
      InetDiagRequest.appendLookupRequest(of: record, sequence: first &+ UInt32(i), to: &lookupRequest)
    }
    try send(lookupRequest)
    var parser = LookupReplyParser(firstSequence: first, count: batch.count)
    while !parser.complete {
      // The kernel handles the requests inside send() (netlink_rcv_skb), so every reply is
      // queued by now: nothing to wait for, and a missing reply is a miss, not a hang.
      let n = recv(fd, buffer.baseAddress, buffer.count, Int32(MSG_TRUNC) | Int32(MSG_DONTWAIT))
      if n < 0 {
        if errno == EINTR { continue }
        if errno == EAGAIN { throw LookupMiss.unexpected("\(batch.count - parser.answered) replies missing") }
        throw CollectorError.netlinkReceive(errno: errno)
      }
      if n == 0 || n > buffer.count { throw LookupMiss.unexpected("datagram of \(n) bytes") }
      try parser.parse(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
    }
    return parser
  }

  /// send(2) of a whole request, retried on EINTR; a short send is EMSGSIZE.
  func send(_ request: [UInt8]) throws {
    let sent = request.withUnsafeBytes { raw -> Int in
      while true {
        let n = Glibc.send(fd, raw.baseAddress, raw.count, 0)
        if n < 0 && errno == EINTR { continue }
        return n
      }
    }
    if sent < 0 { throw CollectorError.netlinkSend(errno: errno) }
    if sent != request.count { throw CollectorError.netlinkSend(errno: EMSGSIZE) }
  }

  private func run(_ built: [UInt8], family: UInt8, into records: inout [SocketRecord], flush: RecordFlush?) throws
    -> Bool
  {
    try send(requestOverride?(built) ?? built)

    var parser = NetlinkDumpParser(expectedSequence: sequence)
    let truncFlag = Int32(MSG_TRUNC)
    while !parser.done {
      var n: Int
      if let fake = receiveOverride {
        n = fake(buffer, sequence)
        if n < 0 {
          errno = Int32(-n)
          n = -1
        }
      } else {
        n = recv(fd, buffer.baseAddress, buffer.count, truncFlag)
      }
      if n < 0 {
        if errno == EINTR { continue }
        throw CollectorError.netlinkReceive(errno: errno)
      }
      if n == 0 { throw CollectorError.malformedReply("netlink socket closed mid-dump") }
      if n > buffer.count {
        throw CollectorError.malformedReply("netlink datagram of \(n) bytes truncated to \(buffer.count)")
      }
      do {
        try parser.parse(UnsafeRawBufferPointer(rebasing: buffer[0..<n]), into: &records)
      } catch let error as NetlinkParseError {
        // Drop whatever is left of this dump so the socket can be reused.
        drain()
        if case .kernelError(let code) = error { throw CollectorError.kernel(errno: code, family: family) }
        throw CollectorError.malformedReply(error.description)
      }
      flush?(&records)
    }
    return parser.interrupted
  }

  /// Reads and drops queued datagrams without blocking.
  private func drain() {
    while recv(fd, buffer.baseAddress, buffer.count, Int32(MSG_DONTWAIT)) > 0 {}
  }
}
