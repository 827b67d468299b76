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
//   at most once per `fullPassIntervalMs` (30 s). A first pass (nothing cached) counts as a full
//   one: it read every fd already.
// - Inodes still unknown after a rescan (sockets of processes in other pid namespaces, other
//   users' processes without privileges, kernel sockets) are remembered as unresolved so they do
//   not force a rescan on every refresh; the next rescan (triggered by a new socket) retries them.
// Vanishing processes and fds (ENOENT, ESRCH) and EACCES are normal and just skipped.
//
// Speed (docs/performance.md): processes are scanned on up to `Parallel.workerCount` threads
// (readlinkat and getdents on /proc are kernel time that a second core halves); each process's fds
// are kept as two arrays in the ascending order /proc lists them, so the cache is checked by
// walking along instead of hashing, and a readlink costs no allocation (a per-worker buffer; the
// inode digits are parsed in place).

import Glibc
import KatopModel
import Synchronization

final class OwnerScanner {
  struct ProcessEntry {
    var command: String
    var uid: UInt32
    /// Open fd numbers, ascending (the order /proc lists them).
    var fds: [Int32]
    /// Socket inode of each fd in `fds` (0 = not a socket).
    var inodes: [UInt32]
    /// The command, user name, command line and parent, shared by the process's owners (nil:
    /// not read yet).
    var details: ProcessDetails? = nil
  }

  private var processes: [Int32: ProcessEntry] = [:]
  private var ownerByInode: [UInt32: Owner] = [:]
  private var unresolvable: Set<UInt32> = []
  /// Statistics of the last call, for tests and the curious.
  private(set) var lastPass: Pass = .none
  private(set) var readlinkCount = 0
  /// fds not re-read because they were cached as a socket still in the dump.
  private(set) var cachedSocketHits = 0

  enum Pass { case none, incremental, full }

  static let fullPassIntervalMs: UInt64 = 30_000
  private var lastFullPassMs: UInt64?

  static let socketPrefix: [UInt8] = Array("socket:[".utf8)
  /// Up to this many wanted sockets, a rescan stops once all are found.
  static let earlyStopLimit = 4096

  /// Owners of the given sockets' inodes (inode 0, i.e. TIME_WAIT / SYN_RECV minisockets, skipped).
  func owners(of sockets: [SocketRecord], nowMs: UInt64) -> [UInt32: Owner] {
    resetStatistics()
    // Steady state (a TUI refresh with no new socket): one lookup per socket, no set, no copy.
    // The table may still hold owners of sockets closed since the last rescan: callers look
    // owners up by the inodes of their own records, and the next rescan drops them.
    if !hasUnknown(sockets) { return ownerByInode }
    return rescanning(wanted: OwnerScanner.nonZero(sockets.lazy.map(\.inode), count: sockets.count), nowMs: nowMs)
  }

  /// Nothing scanned yet (the first scan reads every fd of every process).
  var isCold: Bool { processes.isEmpty }

  /// The owners known from the last rescan, without reading anything (the parts of a streamed
  /// walk; its end calls `owners(ofInodes:nowMs:)`).
  var knownOwners: [UInt32: Owner] { ownerByInode }

  /// `owners(of:nowMs:)` for a walk's socket inodes (0 skipped), as a streamed walk kept them.
  func owners(ofInodes inodes: [UInt32], nowMs: UInt64) -> [UInt32: Owner] {
    resetStatistics()
    var unknown = false
    for inode in inodes where inode != 0 && ownerByInode[inode] == nil && !unresolvable.contains(inode) {
      unknown = true
      break
    }
    if !unknown { return ownerByInode }
    return rescanning(wanted: OwnerScanner.nonZero(inodes, count: inodes.count), nowMs: nowMs)
  }

  private func resetStatistics() {
    lastPass = .none
    readlinkCount = 0
    cachedSocketHits = 0
  }

  private static func nonZero(_ inodes: some Sequence<UInt32>, count: Int) -> Set<UInt32> {
    var wanted = Set<UInt32>(minimumCapacity: count)
    for inode in inodes where inode != 0 { wanted.insert(inode) }
    return wanted
  }

  private func rescanning(wanted: Set<UInt32>, nowMs: UInt64) -> [UInt32: Owner] {
    unresolvable.removeAll()
    // Without any cached process the incremental pass reads every fd: it is a full pass.
    let cold = processes.isEmpty
    rescan(wanted: wanted, full: false)
    lastPass = .incremental
    if cold { lastFullPassMs = nowMs }
    if hasUnknown(wanted) && (lastFullPassMs.map { nowMs &- $0 >= OwnerScanner.fullPassIntervalMs } ?? true) {
      rescan(wanted: wanted, full: true)
      lastPass = .full
      lastFullPassMs = nowMs
    }
    unresolvable = wanted.filter { ownerByInode[$0] == nil }
    return ownerByInode  // a rescan keeps the owners of wanted inodes only
  }

  private func hasUnknown(_ wanted: Set<UInt32>) -> Bool {
    for inode in wanted where ownerByInode[inode] == nil && !unresolvable.contains(inode) {
      return true
    }
    return false
  }

  private func hasUnknown(_ sockets: [SocketRecord]) -> Bool {
    for socket in sockets where socket.inode != 0 && ownerByInode[socket.inode] == nil {
      if !unresolvable.contains(socket.inode) { return true }
    }
    return false
  }

  private func rescan(wanted: Set<UInt32>, full: Bool) {
    var pids: [Int32] = []
    if let procDir = opendir("/proc") {
      while let entry = readdir(procDir) {
        if let pid = OwnerScanner.number(entry) { pids.append(pid) }
      }
      closedir(procDir)
    }
    // Few wanted sockets (a port filter): cheapest processes first (fewest fds, from the cache or
    // the fd directory's size, which Linux >= 6.2 reports as the fd count) and stop as soon as
    // every wanted inode is found. Many: biggest first, so the workers finish together.
    let stopEarly = wanted.count <= OwnerScanner.earlyStopLimit
    let previous = processes
    let sizes = pids.map { pid -> Int in
      if !full, let known = previous[pid] { return known.fds.count }
      if !stopEarly { return 0 }
      var st = stat()
      return stat("/proc/\(pid)/fd", &st) == 0 ? Int(st.st_size) : 0
    }
    var order = Array(pids.indices)
    order.sort { stopEarly ? sizes[$0] < sizes[$1] : sizes[$0] > sizes[$1] }
    var results = [ProcessEntry?](repeating: nil, count: pids.count)
    let found = FoundInodes()
    let scratch = (0..<Parallel.workerCount).map { _ in FdScanner() }
    results.withUnsafeMutableBufferPointer { out in
      Parallel.forEach(count: order.count) { worker, k in
        let i = order[k]
        let prior = full ? nil : previous[pids[i]]
        let process = scratch[worker].scan(pid: pids[i], prior: prior, wanted: wanted)
        out[i] = process
        guard stopEarly, let process else { return false }
        return found.add(process.inodes, wanted: wanted)
      }
    }
    // Each worker's scanner counted its own readlinks and cache hits.
    for scanner in scratch {
      readlinkCount += scanner.readlinks
      cachedSocketHits += scanner.hits
    }
    // Owners in /proc order: the first process (and its lowest fd) holding an inode wins.
    var newProcesses: [Int32: ProcessEntry] = [:]
    newProcesses.reserveCapacity(pids.count)
    var newOwners: [UInt32: Owner] = [:]
    newOwners.reserveCapacity(wanted.count)
    for (i, pid) in pids.enumerated() {
      guard let process = results[i] else {
        // Skipped after an early stop: keep what is known (a vanished pid is dropped next time).
        if stopEarly, let known = previous[pid] { newProcesses[pid] = known }
        continue
      }
      newProcesses[pid] = process
      for k in process.inodes.indices {
        let inode = process.inodes[k]
        if inode != 0 && newOwners[inode] == nil && wanted.contains(inode) {
          newOwners[inode] = Owner(
            pid: pid, uid: process.uid, fd: process.fds[k],
            process: process.details ?? ProcessDetails(command: process.command))
        }
      }
    }
    processes = newProcesses
    ownerByInode = newOwners
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

/// Wanted inodes found so far by all workers (early stop for small, filtered requests).
final class FoundInodes: Sendable {
  private let inodes = Mutex(Set<UInt32>())

  /// Adds the wanted ones among `candidates`; true once every wanted inode has been found.
  func add(_ candidates: [UInt32], wanted: Set<UInt32>) -> Bool {
    var mine: [UInt32] = []
    for inode in candidates where inode != 0 && wanted.contains(inode) { mine.append(inode) }
    return inodes.withLock { found in
      for inode in mine { found.insert(inode) }
      return found.count == wanted.count
    }
  }
}

/// One worker's scanner: its own readlink buffer and counters.
final class FdScanner {
  private let linkBuffer = UnsafeMutablePointer<UInt8>.allocate(capacity: 64)
  private(set) var readlinks = 0
  private(set) var hits = 0

  deinit { linkBuffer.deallocate() }

  /// Lists /proc/PID/fd and readlinks the fds that need it (not cached as a socket that is still
  /// wanted). nil when the process is gone or unreadable. Re-reads the command and uid when the
  /// process holds a wanted socket, so a reused pid does not keep an old name.
  func scan(pid: Int32, prior: OwnerScanner.ProcessEntry?, wanted: Set<UInt32>) -> OwnerScanner.ProcessEntry? {
    let dirFd = open("/proc/\(pid)/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if dirFd < 0 { return nil }  // ENOENT, EACCES, ESRCH: normal
    guard let dir = fdopendir(dirFd) else {
      close(dirFd)
      return nil
    }
    defer { closedir(dir) }
    var process = prior ?? OwnerScanner.ProcessEntry(command: "", uid: 0, fds: [], inodes: [])
    let oldFds = process.fds
    let oldInodes = process.inodes
    var fds: [Int32] = []
    var inodes: [UInt32] = []
    fds.reserveCapacity(oldFds.count + 16)
    inodes.reserveCapacity(oldFds.count + 16)
    var cursor = 0  // walks oldFds alongside the listing (both ascending)
    var lastFd: Int32 = -1
    var holdsWanted = false
    while let entry = readdir(dir) {
      guard let fd = OwnerScanner.number(entry) else { continue }
      if fd < lastFd { cursor = 0 }  // /proc lists fds ascending; if not, restart (misses only cost a readlink)
      lastFd = fd
      while cursor < oldFds.count && oldFds[cursor] < fd { cursor += 1 }
      if cursor < oldFds.count && oldFds[cursor] == fd {
        let cached = oldInodes[cursor]
        if cached != 0 && wanted.contains(cached) {
          fds.append(fd)
          inodes.append(cached)
          hits += 1
          holdsWanted = true
          continue
        }
      }
      let inode = withUnsafePointer(to: &entry.pointee.d_name) { namePointer in
        namePointer.withMemoryRebound(to: CChar.self, capacity: 256) { name in
          readSocketInode(dirFd: dirFd, name: name)
        }
      }
      guard let inode else { continue }  // the fd vanished meanwhile
      fds.append(fd)
      inodes.append(inode)
      if inode != 0 && !holdsWanted && wanted.contains(inode) { holdsWanted = true }
    }
    process.fds = fds
    process.inodes = inodes
    if holdsWanted { refreshIdentity(pid: pid, process: &process) }
    return process
  }

  /// readlinkat(dirFd, name): the inode of "socket:[INODE]", 0 for another kind of fd, nil when
  /// the link could not be read.
  private func readSocketInode(dirFd: Int32, name: UnsafePointer<CChar>) -> UInt32? {
    readlinks += 1
    let n = linkBuffer.withMemoryRebound(to: CChar.self, capacity: 64) { readlinkat(dirFd, name, $0, 64) }
    if n <= 0 { return nil }
    let prefix = OwnerScanner.socketPrefix
    guard n > prefix.count + 1 else { return 0 }
    let link = linkBuffer
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

  /// Command (/proc/PID/comm) and owning uid (owner of /proc/PID); the details again when either
  /// changed (a reused pid).
  private func refreshIdentity(pid: Int32, process: inout OwnerScanner.ProcessEntry) {
    let before = (process.command, process.uid)
    if let comm = SystemCalls.readString("/proc/\(pid)/comm") {
      process.command = String(comm.prefix { $0 != "\n" })
    }
    var st = stat()
    if stat("/proc/\(pid)", &st) == 0 { process.uid = st.st_uid }
    if process.details == nil || before != (process.command, process.uid) {
      process.details = ProcessDetailsReader.read(pid: pid, command: process.command, uid: process.uid)
    }
  }
}
