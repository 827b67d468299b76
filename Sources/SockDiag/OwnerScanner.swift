// Maps socket inodes to the processes holding them by reading /proc/PID/fd/* links
// ("socket:[INODE]"), with a per-process cache kept across collections.
//
// Cache heuristic (correct first, cheap in the steady state):
// - If every non-zero inode of the dump is already known, or was left unresolved by the last
//   rescan, nothing is read at all.
// - Otherwise an incremental pass lists every /proc/PID/fd directory (getdents) and readlinks
//   every fd except those cached as a socket whose inode is still in the dump: socket fds are
//   what a busy server has by the 100k, files/pipes are few and their numbers get reused by new
//   sockets all the time, so they are re-read. fds that disappeared are dropped.
// - If inodes are still unknown after that (an fd cached for a socket that is still alive
//   elsewhere, e.g. after fork or SCM_RIGHTS, was reused), a full pass readlinks every fd again,
//   at most once per `fullPassIntervalMs` (30 s).
// - Inodes still unknown after a rescan (sockets of processes in other pid namespaces, other
//   users' processes without privileges, kernel sockets) are remembered as unresolved so they do
//   not force a rescan on every refresh; the next rescan (triggered by a new socket) retries them.
// Vanishing processes and fds (ENOENT, ESRCH) and EACCES are normal and just skipped.

import Glibc
import KatopModel

final class OwnerScanner {
  struct ProcessEntry {
    var command: String
    var uid: UInt32
    /// fd number -> socket inode (0 = not a socket).
    var fds: [Int32: UInt32]
  }

  private(set) var processes: [Int32: ProcessEntry] = [:]
  private var ownerByInode: [UInt32: Owner] = [:]
  private var unresolvable: Set<UInt32> = []
  /// Statistics of the last call, for tests and the curious.
  private(set) var lastPass: Pass = .none
  private(set) var readlinkCount = 0
  /// fds not re-read because they were cached as a socket still in the dump.
  private(set) var cachedSocketHits = 0

  enum Pass { case none, incremental, full }

  var fullPassIntervalMs: UInt64 = 30_000
  private var lastFullPassMs: UInt64?

  private static let socketPrefix: [UInt8] = Array("socket:[".utf8)
  private let linkBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: 64)
  deinit { linkBuffer.deallocate() }

  /// Owners of the given sockets' inodes (inode 0, i.e. TIME_WAIT / SYN_RECV minisockets, skipped).
  func owners(of sockets: [SocketRecord], nowMs: UInt64) -> [UInt32: Owner] {
    var wanted = Set<UInt32>(minimumCapacity: sockets.count)
    for socket in sockets where socket.inode != 0 { wanted.insert(socket.inode) }
    lastPass = .none
    readlinkCount = 0
    cachedSocketHits = 0
    if hasUnknown(wanted) {
      unresolvable.removeAll()
      rescan(wanted: wanted, full: false)
      lastPass = .incremental
      if hasUnknown(wanted) && (lastFullPassMs.map { nowMs &- $0 >= fullPassIntervalMs } ?? true) {
        rescan(wanted: wanted, full: true)
        lastPass = .full
        lastFullPassMs = nowMs
      }
      unresolvable = Set(wanted.filter { ownerByInode[$0] == nil })
    }
    var result: [UInt32: Owner] = [:]
    result.reserveCapacity(wanted.count)
    for inode in wanted {
      if let owner = ownerByInode[inode] { result[inode] = owner }
    }
    return result
  }

  private func hasUnknown(_ wanted: Set<UInt32>) -> Bool {
    for inode in wanted where ownerByInode[inode] == nil && !unresolvable.contains(inode) {
      return true
    }
    return false
  }

  private func rescan(wanted: Set<UInt32>, full: Bool) {
    guard let procDir = opendir("/proc") else { return }
    defer { closedir(procDir) }
    var seen = Set<Int32>()
    var newOwners: [UInt32: Owner] = [:]
    newOwners.reserveCapacity(wanted.count)
    while let entry = readdir(procDir) {
      guard let pid = OwnerScanner.number(entry) else { continue }
      seen.insert(pid)
      var process = processes[pid] ?? ProcessEntry(command: "", uid: 0, fds: [:])
      if full { process.fds.removeAll(keepingCapacity: true) }
      guard scanFds(pid: pid, process: &process, wanted: wanted) else {
        processes[pid] = nil
        continue
      }
      var holdsSocket = false
      for (fd, inode) in process.fds where inode != 0 && wanted.contains(inode) {
        holdsSocket = true
        if newOwners[inode] == nil {
          newOwners[inode] = Owner(pid: pid, command: "", uid: 0, fd: fd)
        }
      }
      if holdsSocket { refreshIdentity(pid: pid, process: &process) }
      processes[pid] = process
    }
    for pid in processes.keys where !seen.contains(pid) { processes[pid] = nil }
    for (inode, owner) in newOwners {
      guard let process = processes[owner.pid] else { continue }
      newOwners[inode] = Owner(pid: owner.pid, command: process.command, uid: process.uid, fd: owner.fd)
    }
    ownerByInode = newOwners
  }

  /// Lists /proc/PID/fd and readlinks the fds that need it. False when the process is gone or
  /// unreadable.
  private func scanFds(pid: Int32, process: inout ProcessEntry, wanted: Set<UInt32>) -> Bool {
    let dirFd = open("/proc/\(pid)/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if dirFd < 0 { return false }  // ENOENT, EACCES, ESRCH: normal
    guard let dir = fdopendir(dirFd) else {
      close(dirFd)
      return false
    }
    defer { closedir(dir) }
    var current: [Int32: UInt32] = [:]
    current.reserveCapacity(process.fds.count)
    while let entry = readdir(dir) {
      guard let fd = OwnerScanner.number(entry) else { continue }
      if let cached = process.fds[fd], cached != 0, wanted.contains(cached) {
        current[fd] = cached
        cachedSocketHits += 1
        continue
      }
      let inode = withUnsafePointer(to: &entry.pointee.d_name) { namePointer in
        namePointer.withMemoryRebound(to: CChar.self, capacity: 256) { name in
          readSocketInode(dirFd: dirFd, name: name)
        }
      }
      if let inode { current[fd] = inode }  // nil: the fd vanished meanwhile
    }
    process.fds = current
    return true
  }

  /// readlinkat(dirFd, name): the inode of "socket:[INODE]", 0 for another kind of fd, nil when
  /// the link could not be read.
  private func readSocketInode(dirFd: Int32, name: UnsafePointer<CChar>) -> UInt32? {
    readlinkCount += 1
    let n = readlinkat(dirFd, name, linkBuffer, 64)
    if n <= 0 { return nil }
    let prefix = OwnerScanner.socketPrefix
    guard n > prefix.count + 1 else { return 0 }
    return linkBuffer.withMemoryRebound(to: UInt8.self, capacity: 64) { link -> UInt32 in
      for i in 0..<prefix.count where link[i] != prefix[i] { return 0 }
      var value: UInt64 = 0
      var i = prefix.count
      while i < n, link[i] >= 48, link[i] <= 57, value <= UInt64(UInt32.max) {
        value = value * 10 + UInt64(link[i] - 48)
        i += 1
      }
      guard i < n, link[i] == 93, value <= UInt64(UInt32.max) else { return 0 }  // ']'
      return UInt32(value)
    }
  }

  /// Command (/proc/PID/comm) and owning uid (owner of /proc/PID). Re-read on every rescan
  /// that finds sockets in the process, so a reused pid does not keep an old name.
  private func refreshIdentity(pid: Int32, process: inout ProcessEntry) {
    if let comm = SystemCalls.readString("/proc/\(pid)/comm") {
      process.command = String(comm.prefix { $0 != "\n" })
    }
    var st = stat()
    if stat("/proc/\(pid)", &st) == 0 { process.uid = st.st_uid }
  }

  /// A directory entry's name as a non-negative decimal number (a pid or an fd), else nil.
  static func number(_ entry: UnsafeMutablePointer<dirent>) -> Int32? {
    withUnsafePointer(to: &entry.pointee.d_name) { namePointer in
      namePointer.withMemoryRebound(to: UInt8.self, capacity: 256) { name -> Int32? in
        var value: Int64 = 0
        var i = 0
        while i < 12, name[i] != 0 {
          guard name[i] >= 48, name[i] <= 57 else { return nil }
          value = value * 10 + Int64(name[i] - 48)
          i += 1
        }
        guard i > 0, i < 12, value <= Int64(Int32.max) else { return nil }
        return Int32(value)
      }
    }
  }
}
