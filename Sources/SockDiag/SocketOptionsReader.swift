// Reads keepalive settings from live sockets of other processes (those whose keepalive is not
// already known off from the kernel's timers): pidfd_open(pid) once per
// process, pidfd_getfd(pidfd, fd) per socket, fstat to check the duplicate is still the same
// socket (fd numbers get reused), getsockopt x5, close the duplicate at once (holding it would
// keep the socket alive). Needs ptrace rights over the owner (root / CAP_SYS_PTRACE); failures
// (EPERM, ESRCH, EBADF ...) just leave the socket out.
//
// Cost: ~9 syscalls per socket; processes are read in parallel on up to Parallel.workerCount
// threads. Results are cached by socket cookie (plus inode) for `ttlMs` (5 s), so a TUI
// refreshing every second re-reads each socket about every 5 s; at most `maxRefreshPerCall`
// (2000) stale entries are re-read per call, so with 50k relevant sockets a cycle takes ~25 s
// instead: settings rarely change.

import CKatopNetlink
import Glibc
import KatopModel

final class SocketOptionsReader {
  struct CacheEntry {
    var inode: UInt32
    var options: SocketOptions
    var readAtMs: UInt64
    /// The call that last saw this socket (entries not seen by a call are dropped).
    var seen: UInt32 = 0
  }

  static let ttlMs: UInt64 = 5000
  /// Stale cache entries re-read per call at most (new sockets are always read): 100k sockets
  /// would otherwise cost ~0.1 s of syscalls per second at a 5 s TTL (docs/performance.md).
  static let maxRefreshPerCall = 2000
  private var cache: [UInt64: CacheEntry] = [:]
  private var generation: UInt32 = 0
  /// false (one-shot runs): no cache is built for a next call (~9 MB at 100k sockets).
  var keepsCache = true

  /// States in which keepalive settings matter (not LISTEN, TIME_WAIT, SYN_RECV, CLOSE).
  static let relevantStates: UInt32 =
    TCPState.established.mask | TCPState.synSent.mask | TCPState.finWait1.mask
    | TCPState.finWait2.mask | TCPState.closeWait.mask | TCPState.lastAck.mask | TCPState.closing.mask

  /// Keepalive known off without reading the socket: in a state where an SO_KEEPALIVE socket
  /// always has its keepalive timer pending, sock_diag reports no timer at all. Such sockets are
  /// not read (half the reads on a typical host; docs/performance.md): their settings
  /// would not be used, and katop says so (`SettingsSource.timer`).
  static func knownOff(_ socket: SocketRecord) -> Bool {
    KeepaliveMath.keepaliveApplies(socket.state) && KeepaliveMath.inferredEnabled(socket) == false
  }

  /// What the reader needs of a socket (a streamed walk keeps these, not the records, for the
  /// sockets whose owner is found only at its end).
  struct Target {
    var cookie: UInt64
    var inode: UInt32
    /// Its settings matter and are not known off from the timers.
    var wanted: Bool
    init(_ socket: SocketRecord) {
      cookie = socket.cookie
      inode = socket.inode
      wanted =
        socket.inode != 0 && SocketOptionsReader.relevantStates & socket.state.mask != 0
        && !SocketOptionsReader.knownOff(socket)
    }
  }

  /// A walk read in parts (`beginWalk`, `options` per part, `endWalk`): one re-read budget, and
  /// cache entries not seen by any part are dropped at its end.
  private var inWalk = false
  private var refreshBudget = 0

  func beginWalk() {
    generation &+= 1
    refreshBudget = SocketOptionsReader.maxRefreshPerCall
    inWalk = true
  }

  func endWalk() {
    inWalk = false
    prune()
  }

  /// A walk that failed before its end: nothing is dropped.
  func abandonWalk() { inWalk = false }

  func options(for sockets: [SocketRecord], owners: [UInt32: Owner], nowMs: UInt64) -> [UInt32: SocketOptions] {
    options(for: sockets.lazy.map(Target.init), count: sockets.count, owners: owners, nowMs: nowMs)
  }

  func options(for targets: some Sequence<Target>, count: Int, owners: [UInt32: Owner], nowMs: UInt64)
    -> [UInt32: SocketOptions]
  {
    // Sized up front: growing a 100k-entry table every refresh showed in the TUI's profile. The
    // cache is updated in place (a second 100k-entry table per refresh cost ~17 MB at 100k).
    var result: [UInt32: SocketOptions] = [:]
    let keep = keepsCache
    // Without a cache (one-shot runs), or for a part of a walk, size for the sockets instead.
    result.reserveCapacity(keep && !inWalk ? cache.count : count)
    let oneCall = !inWalk
    if oneCall { beginWalk() }
    let thisCall = generation
    var pending: [Int32: [(fd: Int32, inode: UInt32, cookie: UInt64)]] = [:]
    for socket in targets where socket.wanted {
      guard let owner = owners[socket.inode] else { continue }
      // One hash of the cookie: the entry is read and marked through its index.
      if let i = cache.index(forKey: socket.cookie), cache.values[i].inode == socket.inode {
        let entry = cache.values[i]
        // Fresh, or stale but this call's re-read budget is spent: keep the cached values.
        if nowMs &- entry.readAtMs < SocketOptionsReader.ttlMs || refreshBudget <= 0 {
          result[socket.inode] = entry.options
          if keep { cache.values[i].seen = thisCall }
          continue
        }
        refreshBudget -= 1
      }
      pending[owner.pid, default: []].append((owner.fd, socket.inode, socket.cookie))
    }
    // One pidfd per process; processes are read in parallel, biggest first (docs/performance.md).
    let groups = pending.sorted { $0.value.count > $1.value.count }
    var found = [[(inode: UInt32, cookie: UInt64, options: SocketOptions)]](repeating: [], count: groups.count)
    found.withUnsafeMutableBufferPointer { out in
      Parallel.forEach(count: groups.count) { _, i in
        let (pid, targets) = groups[i]
        let pidfd = katop_pidfd_open(pid, 0)
        if pidfd < 0 { return false }  // ESRCH (gone), EPERM, ENOSYS: leave these out
        defer { close(pidfd) }
        var local: [(inode: UInt32, cookie: UInt64, options: SocketOptions)] = []
        local.reserveCapacity(targets.count)
        for target in targets {
          let duplicate = katop_pidfd_getfd(pidfd, target.fd, 0)
          if duplicate < 0 {
            if errno == EPERM || errno == ESRCH { break }  // the whole process is off limits / gone
            continue  // EBADF: the fd closed meanwhile
          }
          let options = SocketOptionsReader.read(duplicate: duplicate, inode: target.inode)
          close(duplicate)
          guard let options else { continue }
          local.append((target.inode, target.cookie, options))
        }
        out[i] = local
        return false
      }
    }
    for list in found {
      for item in list {
        result[item.inode] = item.options
        if keep {
          cache[item.cookie] = CacheEntry(inode: item.inode, options: item.options, readAtMs: nowMs, seen: thisCall)
        }
      }
    }
    if oneCall { endWalk() }
    return result
  }

  private func prune() {
    if keepsCache {
      var gone: [UInt64] = []
      for (cookie, entry) in cache where entry.seen != generation { gone.append(cookie) }
      for cookie in gone { cache.removeValue(forKey: cookie) }
    } else {
      cache.removeAll()
    }
  }

  /// Drops the cached settings of these sockets (katop just changed them): the next call reads them.
  func forget(_ cookies: [UInt64]) {
    for cookie in cookies { cache.removeValue(forKey: cookie) }
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

/// Reads one socket's settings on demand, e.g. for the TUI's detail view of a socket whose
/// keepalive the timers show off (the collector skips those): pidfd_open + pidfd_getfd + fstat
/// (same inode) + getsockopt, ~10 syscalls. Stateless, so any thread may call it.
public enum SocketInspector {
  /// nil when the process is gone, the fd was closed or reused, or katop may not inspect it.
  public static func options(owner: Owner, inode: UInt32) -> SocketOptions? {
    guard inode != 0 else { return nil }
    let pidfd = katop_pidfd_open(owner.pid, 0)
    if pidfd < 0 { return nil }
    defer { close(pidfd) }
    let duplicate = katop_pidfd_getfd(pidfd, owner.fd, 0)
    if duplicate < 0 { return nil }
    defer { close(duplicate) }
    return SocketOptionsReader.read(duplicate: duplicate, inode: inode)
  }
}

