// Acting on live sockets of other processes (docs/actions.md):
// - set keepalive: pidfd_open(pid) + pidfd_getfd(pidfd, fd) duplicates the owner's descriptor;
//   fstat checks it is still the same socket (fd numbers get reused), getsockopt reads the values
//   before, setsockopt SO_KEEPALIVE + TCP_KEEPIDLE/INTVL/CNT (+ TCP_USER_TIMEOUT) changes the live
//   connection, getsockopt reads them back, and the duplicate is closed at once (holding it would
//   keep the socket alive after its owner closes it).
// - end a connection: sock_diag SOCK_DESTROY with the socket's exact id, cookie included (the
//   kernel aborts it: RST to the peer, ECONNABORTED to the owner); where the kernel lacks
//   CONFIG_INET_DIAG_DESTROY (EOPNOTSUPP), shutdown(SHUT_RDWR) on a pidfd_getfd duplicate (FIN).

import CKatopNetlink
import Glibc
import KatopModel

extension NetlinkConstants {
  static let sockDestroy: UInt16 = 21
  static let flagAck: UInt16 = 0x04
}

/// A pidfd_getfd duplicate of a socket another process holds, checked to be the socket with
/// `inode`, or the reason there is none.
enum SocketDuplicate {
  static func with<T>(owner: Owner, inode: UInt32, _ body: (Int32) -> T) -> Result<T, ActionError> {
    guard inode != 0 else { return .failure(.reason("no socket inode (not owned by a process)")) }
    let pidfd = katop_pidfd_open(owner.pid, 0)
    if pidfd < 0 {
      let e = errno
      if e == ESRCH { return .failure(.reason("process \(owner.pid) gone")) }
      return .failure(.reason("pidfd_open(\(owner.pid)): \(ActionError.name(e))"))
    }
    defer { close(pidfd) }
    let fd = katop_pidfd_getfd(pidfd, owner.fd, 0)
    if fd < 0 {
      let e = errno
      switch e {
      case ESRCH: return .failure(.reason("process \(owner.pid) gone"))
      case EBADF: return .failure(.reason("fd \(owner.fd) of pid \(owner.pid) closed"))
      case EPERM:
        return .failure(.reason("EPERM from pidfd_getfd on pid \(owner.pid): needs CAP_SYS_PTRACE (or yama ptrace_scope)"))
      default: return .failure(.reason("pidfd_getfd(\(owner.pid), fd \(owner.fd)): \(ActionError.name(e))"))
      }
    }
    defer { close(fd) }
    var st = stat()
    guard fstat(fd, &st) == 0, st.st_ino == UInt(inode), st.st_mode & S_IFMT == S_IFSOCK else {
      return .failure(.reason("fd \(owner.fd) of pid \(owner.pid) is no longer this socket (closed, fd reused)"))
    }
    return .success(body(fd))
  }
}

struct ActionError: Error {
  var text: String
  static func reason(_ text: String) -> ActionError { ActionError(text: text) }

  static func name(_ e: Int32) -> String {
    switch e {
    case ENOTSOCK: return "ENOTSOCK"
    case ENOPROTOOPT: return "ENOPROTOOPT"
    case ESTALE: return "ESTALE"
    case ENOTCONN: return "ENOTCONN"
    default: return SystemCalls.errnoName(e)
    }
  }
}

public enum LiveSocket {
  /// SO_KEEPALIVE + TCP_KEEPIDLE/INTVL/CNT (+ TCP_USER_TIMEOUT) on the live socket, read back.
  /// `.keepaliveSet` only when the values read back are the ones asked for.
  public static func setKeepalive(_ change: KeepaliveChange, owner: Owner, inode: UInt32) -> ActionOutcome {
    let result = SocketDuplicate.with(owner: owner, inode: inode) { fd -> ActionOutcome in
      guard let before = SocketOptionsReader.read(duplicate: fd, inode: inode) else {
        return .failed(reason: "not a TCP socket any more (getsockopt \(ActionError.name(errno)))", before: nil)
      }
      let tcp = Int32(IPPROTO_TCP)
      // Timers first, then SO_KEEPALIVE: arming the timer reads keepidle.
      var steps: [(String, Int32, Int32, Int32)] = [
        ("TCP_KEEPIDLE", tcp, katop_TCP_KEEPIDLE, Int32(clamping: change.idleSeconds)),
        ("TCP_KEEPINTVL", tcp, katop_TCP_KEEPINTVL, Int32(clamping: change.intervalSeconds)),
        ("TCP_KEEPCNT", tcp, katop_TCP_KEEPCNT, Int32(clamping: change.probes)),
      ]
      if let ms = change.userTimeoutMs {
        steps.append(("TCP_USER_TIMEOUT", tcp, katop_TCP_USER_TIMEOUT, Int32(clamping: ms)))
      }
      steps.append(("SO_KEEPALIVE", SOL_SOCKET, SO_KEEPALIVE, change.enabled ? 1 : 0))
      for (name, level, option, value) in steps where katop_setsockopt_int(fd, level, option, value) != 0 {
        let e = errno
        // A change half made is still a change: report what the socket holds now.
        let now = SocketOptionsReader.read(duplicate: fd, inode: inode)
        let partial = now.map { $0 != before ? ", now \(ActionReport.optionsText($0))" : "" } ?? ""
        return .failed(reason: "setsockopt \(name)=\(value): \(ActionError.name(e))\(partial)", before: before)
      }
      guard let after = SocketOptionsReader.read(duplicate: fd, inode: inode) else {
        return .failed(reason: "values not readable after setsockopt (\(ActionError.name(errno)))", before: before)
      }
      let expected = change.expected(after: before)
      if after != expected {
        return .failed(
          reason: "read back \(ActionReport.optionsText(after)), asked \(ActionReport.optionsText(expected))", before: before)
      }
      return .keepaliveSet(before: before, after: after)
    }
    switch result {
    case .success(let outcome): return outcome
    case .failure(let error): return .failed(reason: error.text, before: nil)
    }
  }

  /// shutdown(SHUT_RDWR) on a duplicate: the connection ends for its owner too (FIN, EOF).
  public static func shutdownBoth(owner: Owner, inode: UInt32) -> ActionOutcome {
    let result = SocketDuplicate.with(owner: owner, inode: inode) { fd -> ActionOutcome in
      if Glibc.shutdown(fd, Int32(SHUT_RDWR)) == 0 { return .ended(.shutdown) }
      let e = errno
      if e == ENOTCONN { return .alreadyGone }
      return .failed(reason: "shutdown: \(ActionError.name(e))", before: nil)
    }
    switch result {
    case .success(let outcome): return outcome
    case .failure(let error): return .failed(reason: error.text, before: nil)
    }
  }
}

/// Ends connections with SOCK_DESTROY on one sock_diag socket (one per `katop kill`), falling
/// back to shutdown on a duplicate when the kernel has no CONFIG_INET_DIAG_DESTROY.
public final class SocketTerminator {
  private let socket: SockDiagSocket
  private var sequence: UInt32 = 1
  /// false: skip SOCK_DESTROY and use the shutdown fallback (tests of the fallback).
  let usesSockDestroy: Bool
  /// Set once the kernel answered EOPNOTSUPP: the rest use the fallback at once.
  public private(set) var sockDestroyUnsupported = false
  /// Where each socket ended is recorded, so its destroy message reads "killed by katop".
  public var journal: KillJournal? = KillJournal()

  public init(usesSockDestroy: Bool = true) throws {
    socket = try SockDiagSocket()
    self.usesSockDestroy = usesSockDestroy
  }

  public func end(_ c: Connection) -> ActionOutcome {
    if usesSockDestroy && !sockDestroyUnsupported {
      let code = destroy(c.record)
      switch code {
      case 0:
        journal?.record([c.record.cookie])
        return .ended(.sockDestroy)
      // ENOENT: no socket with this 5-tuple; ESTALE: the 5-tuple is another socket's now.
      case ENOENT, ESTALE: return .alreadyGone
      case EOPNOTSUPP: sockDestroyUnsupported = true
      case EPERM: return .failed(reason: "EPERM from SOCK_DESTROY: needs CAP_NET_ADMIN", before: nil)
      default: return .failed(reason: "SOCK_DESTROY: \(ActionError.name(code))", before: nil)
      }
    }
    guard let owner = c.owner else {
      return .failed(reason: "SOCK_DESTROY unsupported by this kernel and no owner to shut the socket down", before: nil)
    }
    let outcome = LiveSocket.shutdownBoth(owner: owner, inode: c.record.inode)
    if outcome.succeeded { journal?.record([c.record.cookie]) }
    return outcome
  }

  /// The request that destroys exactly `record` (5-tuple, interface and cookie).
  static func request(_ record: SocketRecord, sequence: UInt32) -> [UInt8] {
    var bytes: [UInt8] = []
    InetDiagRequest.appendExactRequest(
      of: record, type: NetlinkConstants.sockDestroy, flags: NetlinkConstants.flagRequest | NetlinkConstants.flagAck,
      sequence: sequence, to: &bytes)
    return bytes
  }

  /// Sends SOCK_DESTROY and reads the kernel's answer: 0, or the errno it reported.
  func destroy(_ record: SocketRecord) -> Int32 {
    sequence &+= 1
    let seq = sequence
    do {
      try socket.send(SocketTerminator.request(record, sequence: seq))
    } catch let error as CollectorError {
      return error.errnoValue ?? EIO
    } catch {
      return EIO
    }
    // The kernel answers inside send() (netlink_rcv_skb): the ACK is queued, no waiting. Older
    // answers (other sequences) are skipped, a bounded number of times.
    for _ in 0..<16 {
      let n = recv(socket.fd, socket.buffer.baseAddress, socket.buffer.count, Int32(MSG_DONTWAIT))
      if n < 0 {
        if errno == EINTR { continue }
        return errno == EAGAIN ? ETIMEDOUT : errno
      }
      let bytes = UnsafeRawBufferPointer(rebasing: socket.buffer[0..<n])
      guard let header = try? NetlinkMessageHeader(in: bytes, at: 0) else { return EBADMSG }
      guard header.sequence == seq else { continue }
      guard header.type == NetlinkConstants.nlmsgError, header.length >= NetlinkConstants.headerSize + 4 else {
        return EBADMSG
      }
      let code = bytes.loadUnaligned(fromByteOffset: NetlinkConstants.headerSize, as: Int32.self)
      return NetlinkMessageHeader.errno(fromCode: code)
    }
    return EBADMSG
  }
}

extension Collector {
  /// Forgets the cached settings of sockets katop just changed, so the next collection reads
  /// them from the sockets (the cache would otherwise show the old values for up to 5 s).
  public func forgetSettings(of cookies: [UInt64]) { optionsReader.forget(cookies) }
}
