// Reads keepalive settings from live sockets of other processes: pidfd_open(pid) once per
// process, pidfd_getfd(pidfd, fd) per socket, fstat to check the duplicate is still the same
// socket (fd numbers get reused), getsockopt x5, close the duplicate at once (holding it would
// keep the socket alive). Needs ptrace rights over the owner (root / CAP_SYS_PTRACE); failures
// (EPERM, ESRCH, EBADF ...) just leave the socket out.
//
// Cost: ~9 syscalls per socket. Results are cached by socket cookie (plus inode) for `ttlMs`
// (default 5 s), so a TUI refreshing every second re-reads each socket about every 5 s; settings
// rarely change, and `invalidate()` forgets everything (e.g. after katop itself changed a socket).

import CKatopNetlink
import Glibc
import KatopModel

final class SocketOptionsReader {
  struct CacheEntry {
    var inode: UInt32
    var options: SocketOptions
    var readAtMs: UInt64
  }

  var ttlMs: UInt64 = 5000
  private var cache: [UInt64: CacheEntry] = [:]
  /// Sockets read from the kernel (not the cache) by the last call.
  private(set) var lastReadCount = 0

  /// States in which keepalive settings matter (not LISTEN, TIME_WAIT, SYN_RECV, CLOSE).
  static let relevantStates: UInt32 =
    TCPState.established.mask | TCPState.synSent.mask | TCPState.finWait1.mask
    | TCPState.finWait2.mask | TCPState.closeWait.mask | TCPState.lastAck.mask | TCPState.closing.mask

  func invalidate() { cache.removeAll() }

  func options(for sockets: [SocketRecord], owners: [UInt32: Owner], nowMs: UInt64)
    -> [UInt32: SocketOptions]
  {
    lastReadCount = 0
    var result: [UInt32: SocketOptions] = [:]
    var nextCache: [UInt64: CacheEntry] = [:]
    var pending: [Int32: [(fd: Int32, inode: UInt32, cookie: UInt64)]] = [:]
    for socket in sockets where socket.inode != 0 && SocketOptionsReader.relevantStates & socket.state.mask != 0 {
      guard let owner = owners[socket.inode] else { continue }
      if let entry = cache[socket.cookie], entry.inode == socket.inode, nowMs &- entry.readAtMs < ttlMs {
        result[socket.inode] = entry.options
        nextCache[socket.cookie] = entry
        continue
      }
      pending[owner.pid, default: []].append((owner.fd, socket.inode, socket.cookie))
    }
    for (pid, targets) in pending {
      let pidfd = katop_pidfd_open(pid, 0)
      if pidfd < 0 { continue }  // ESRCH (gone), EPERM, ENOSYS: leave these out
      defer { close(pidfd) }
      for target in targets {
        let duplicate = katop_pidfd_getfd(pidfd, target.fd, 0)
        if duplicate < 0 {
          if errno == EPERM || errno == ESRCH { break }  // the whole process is off limits / gone
          continue  // EBADF: the fd closed meanwhile
        }
        let options = SocketOptionsReader.read(duplicate: duplicate, inode: target.inode)
        close(duplicate)
        lastReadCount += 1
        guard let options else { continue }
        result[target.inode] = options
        nextCache[target.cookie] = CacheEntry(inode: target.inode, options: options, readAtMs: nowMs)
      }
    }
    cache = nextCache
    return result
  }

  /// getsockopt on a duplicated fd, after checking it is the expected socket.
  static func read(duplicate fd: Int32, inode: UInt32) -> SocketOptions? {
    var st = stat()
    guard fstat(fd, &st) == 0, st.st_ino == UInt(inode) else { return nil }
    var keepalive: Int32 = 0
    var idle: Int32 = 0
    var interval: Int32 = 0
    var count: Int32 = 0
    var userTimeout: Int32 = 0
    let tcp = Int32(IPPROTO_TCP)
    guard katop_getsockopt_int(fd, SOL_SOCKET, SO_KEEPALIVE, &keepalive) == 0,
      katop_getsockopt_int(fd, tcp, katop_TCP_KEEPIDLE, &idle) == 0,
      katop_getsockopt_int(fd, tcp, katop_TCP_KEEPINTVL, &interval) == 0,
      katop_getsockopt_int(fd, tcp, katop_TCP_KEEPCNT, &count) == 0,
      katop_getsockopt_int(fd, tcp, katop_TCP_USER_TIMEOUT, &userTimeout) == 0
    else { return nil }
    return SocketOptions(
      keepalive: keepalive != 0, idleSeconds: Int(idle), intervalSeconds: Int(interval),
      probes: Int(count), userTimeoutMs: Int(userTimeout))
  }
}
