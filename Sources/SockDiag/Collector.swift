// The public face of SockDiag: one long-lived Collector producing Snapshots.

import CKatopNetlink
import Glibc
import KatopModel

public enum CollectorError: Error, CustomStringConvertible {
  case netlinkSocket(errno: Int32)
  case netlinkSend(errno: Int32)
  case netlinkReceive(errno: Int32)
  /// The kernel answered a dump with NLMSG_ERROR.
  case kernel(errno: Int32, family: UInt8)
  case malformedReply(String)
  case procRead(path: String, errno: Int32)
  case procParse(path: String, why: String)

  public var description: String {
    switch self {
    case .netlinkSocket(let e):
      return "cannot open NETLINK_SOCK_DIAG socket (\(SystemCalls.errnoName(e)))"
    case .netlinkSend(let e): return "sending sock_diag request failed (\(SystemCalls.errnoName(e)))"
    case .netlinkReceive(let e):
      return "receiving sock_diag reply failed (\(SystemCalls.errnoName(e)))"
    case .kernel(let e, let family):
      let name =
        family == NetlinkConstants.afInet6 ? "IPv6 " : family == NetlinkConstants.afInet ? "IPv4 " : ""
      return "kernel refused the \(name)sock_diag dump (\(SystemCalls.errnoName(e)))"
    case .malformedReply(let why): return "malformed sock_diag reply: \(why)"
    case .procRead(let path, let e): return "cannot read \(path) (\(SystemCalls.errnoName(e)))"
    case .procParse(let path, let why): return "cannot parse \(path): \(why)"
    }
  }

  /// errno behind the failure, when there is one.
  var errnoValue: Int32? {
    switch self {
    case .netlinkSocket(let e), .netlinkSend(let e), .netlinkReceive(let e), .kernel(let e, _),
      .procRead(_, let e):
      return e
    case .malformedReply, .procParse: return nil
    }
  }
}

public final class Collector {
  /// nil: netlink, falling back to /proc when netlink fails.
  private let requestedSource: SocketSource?
  private(set) var activeSource: SocketSource
  private var fallbackNote: CollectorNote?
  private var netlink: SockDiagSocket?
  let ownerScanner = OwnerScanner()
  let optionsReader = SocketOptionsReader()
  let lookupRefresher = LookupRefresher()
  /// Host facts that do not change between collections (hostname, kernel, privileged).
  let baseSystem: SystemInfo
  /// The socket inodes of the last walk when it read no owners (`WalkStream.takeInodes`).
  private var quickWalkInodes: [UInt32] = []
  /// Capacity hint: the previous dump's size.
  private var lastCount = 1024
  /// The last unfiltered dump's size; until there was one, /proc/net/sockstat's estimate.
  private var lastUnfilteredCount: Int?
  /// Opens the sock_diag socket; tests replace it to simulate a kernel without sock_diag.
  var openNetlink: () throws -> SockDiagSocket = { try SockDiagSocket() }
  /// The /proc/net/tcp and tcp6 files of the /proc source; tests point them at bad files.
  var procNetTCPPaths = (v4: "/proc/net/tcp", v6: "/proc/net/tcp6")

  /// Splits an unfiltered dump in two halves dumped at once on two sockets and threads (by
  /// ephemeral port, `InetDiagRequest.portSplitBytecode`): less wall time for one-shot runs, a
  /// little more CPU (two walks of the hash), so the TUI leaves it off (docs/performance.md).
  public var splitsDump = false
  private var secondNetlink: SockDiagSocket?
  private lazy var splitPort = SystemInfoReader.ephemeralPortMiddle()
  /// Whether the last collection used the split dump (tests).
  private(set) var lastDumpWasSplit = false

  /// false for a single collection (`katop --once`): no socket-options cache is kept for a next
  /// call, which saves its memory (docs/performance.md).
  public var keepsCaches: Bool {
    get { optionsReader.keepsCache }
    set { optionsReader.keepsCache = newValue }
  }

  public init(source: SocketSource? = nil) {
    requestedSource = source
    activeSource = source ?? .netlink
    if source == .proc { fallbackNote = .procRequested }
    var base = SystemInfo()
    base.hostname = SystemInfoReader.hostname()
    base.kernel = SystemInfoReader.kernelRelease()
    base.privileged = SystemInfoReader.privileged()
    baseSystem = base
  }

  public func collect(_ request: CollectRequest) throws -> Snapshot {
    try collect(request, partSize: 0, parts: nil)
  }

  /// Records per part of a streamed walk (~600 kB: below the mmap threshold, so the heap reuses
  /// the memory of parts merged and released).
  public static let walkPartSize = 4096

  /// `collect(_:)`, except that a walk of the whole table over netlink hands its records on in
  /// parts of about `partSize` while the dump goes on (`WalkPart`: with the owners and settings
  /// the caches know for them). It returns the rest: records not handed on (none unless netlink
  /// failed and /proc was read), every owner known after the walk (the owner scan runs once, at
  /// its end, when a part held a socket of unknown owner), the settings read for those sockets,
  /// and the walk's status. When no part was handed on, the result is the whole snapshot.
  public func collect(_ request: CollectRequest, partSize: Int = Collector.walkPartSize, parts: ((WalkPart) -> Void)?)
    throws -> Snapshot
  {
    if !request.lookUp.isEmpty { return try lookUpRequested(request) }
    if let interval = request.discoveryIntervalMs { discoveryIntervalMs = interval }
    var system = baseSystem
    var status = CollectorStatus()
    SystemInfoReader.readSettings(into: &system, notes: &status.notes)
    let takenAt = SystemCalls.monotonicMs()

    var sockets: [SocketRecord] = []
    var stream: WalkStream?
    var lookedUp = false
    // Read before any walk: a connection made during it moves the counters for the next check.
    let opens = request.ports.isEmpty || discoveryIntervalMs == 0 ? nil : SystemInfoReader.tcpOpens()
    if activeSource == .netlink, let looked = lookUpKnownSockets(request, nowMs: takenAt, opens: opens) {
      sockets = looked
      lookedUp = true
    } else {
      var expected = lastCount
      if request.ports.isEmpty {
        expected = max(expected, lastUnfilteredCount ?? SystemInfoReader.tcpSocketEstimate())
      }
      expected += expected / 16 + 64
      if let parts, request.ports.isEmpty, !splitsDump, activeSource == .netlink, partSize > 0 {
        stream = WalkStream(
          request: request, system: system, expected: expected, partSize: partSize, nowMs: takenAt, deliver: parts,
          owners: ownerScanner, options: optionsReader)
      }
      if stream != nil, request.owners || request.socketOptions, ownerScanner.isCold, !quickWalkInodes.isEmpty {
        // The first walk with owners after a quick one: the cold owner scan (every fd of every
        // process) runs before the dump, for the sockets the quick walk saw, so the parts carry
        // owners and the walk's end scans again only for sockets new since.
        _ = ownerScanner.owners(ofInodes: quickWalkInodes, nowMs: takenAt)
      }
      quickWalkInodes = []
      sockets.reserveCapacity(stream.map { _ in partSize + partSize / 2 } ?? expected)
      if activeSource == .netlink {
        do {
          status.dumpInterrupted = try dumpNetlink(
            request, expected: expected, into: &sockets, notes: &status.notes, flush: stream?.flush)
          stream?.hand(&sockets)
        } catch let error as CollectorError where requestedSource == nil && netlinkUnavailable(error) {
          fallbackNote = .netlinkUnavailable(errno: error.errnoValue.map { SystemCalls.errnoName($0) } ?? "error")
          activeSource = .proc
          netlink = nil
          sockets.removeAll(keepingCapacity: true)
        }
      }
      if activeSource == .proc {
        try readProc(request, into: &sockets, notes: &status.notes)
      }
      if request.ports.isEmpty { lastUnfilteredCount = sockets.count + (stream?.count ?? 0) }
    }
    lastCount = sockets.count + (stream?.count ?? 0)
    status.source = activeSource
    if let note = fallbackNote { status.notes.append(note) }
    if status.dumpInterrupted { status.notes.append(.dumpInterrupted) }
    noteCollection(request, sockets: sockets, lookedUp: lookedUp, takenAtMs: takenAt, opens: opens, status: &status)
    if !system.privileged { status.notes.append(.notPrivileged) }

    var ownerMap: [UInt32: Owner] = [:]
    var options: [UInt32: SocketOptions] = [:]
    if let stream {
      (ownerMap, options) = stream.finish(rest: sockets)
      quickWalkInodes = stream.takeInodes()
    } else {
      if request.owners || request.socketOptions {
        ownerMap = ownerScanner.owners(of: sockets, nowMs: takenAt)
      }
      if request.socketOptions {
        options = optionsReader.options(for: sockets, owners: ownerMap, nowMs: takenAt)
      }
    }
    if !request.owners { ownerMap = [:] }
    return Snapshot(system: system, status: status, sockets: sockets, owners: ownerMap, options: options, takenAtMs: takenAt)
  }

  /// Errors that mean "this kernel / sandbox offers no usable sock_diag", not a bug.
  private func netlinkUnavailable(_ error: CollectorError) -> Bool {
    switch error {
    case .netlinkSocket, .netlinkSend, .kernel: return true
    case .netlinkReceive(let e): return e == EPERM || e == EACCES || e == ENOENT
    default: return false
    }
  }

  /// Whether the kernel's one-walk dump (TCPDIAG_GETSOCK, AF_UNSPEC) is believed to work; false
  /// once it refused it, then every refresh dumps IPv4 and IPv6 separately (two walks).
  private(set) var usesSingleWalk = true

  /// Failures of the one-walk request that mean "this kernel does not offer it": fall back to
  /// the per-family dumps (which fall back to /proc in turn when they fail too).
  private func singleWalkUnsupported(_ error: CollectorError) -> Bool {
    switch error {
    case .kernel: return true
    case .netlinkSend(let e), .netlinkReceive(let e): return e == EINVAL || e == EOPNOTSUPP || e == ENOENT
    default: return false
    }
  }

  private func dumpNetlink(
    _ request: CollectRequest, expected: Int, into sockets: inout [SocketRecord], notes: inout [CollectorNote],
    flush: RecordFlush? = nil
  ) throws -> Bool {
    let kernelFilter = request.ports.count <= InetDiagRequest.maxKernelFilterPorts
    let bytecode = kernelFilter ? InetDiagRequest.portFilterBytecode(ports: request.ports) : []
    var interrupted = false
    lastDumpWasSplit = false
    if splitsDump && usesSingleWalk && bytecode.isEmpty && Parallel.workerCount >= 2,
      let split = try? dumpSplit(states: request.states, expected: expected, into: &sockets)
    {
      interrupted = split
      lastDumpWasSplit = true
    } else if usesSingleWalk {
      let before = sockets.count
      do {
        interrupted = try dumpRetryingOnENOBUFS(into: &sockets) { socket, records in
          try socket.dumpAllFamilies(states: request.states, bytecode: bytecode, into: &records, flush: flush)
        }
      } catch let error as CollectorError where singleWalkUnsupported(error) {
        usesSingleWalk = false
        sockets.removeSubrange(min(before, sockets.count)...)
      }
    }
    if !usesSingleWalk {
      for family in [NetlinkConstants.afInet, NetlinkConstants.afInet6] {
        do {
          interrupted =
            try dumpRetryingOnENOBUFS(into: &sockets) { socket, records in
              try socket.dump(family: family, states: request.states, bytecode: bytecode, into: &records, flush: flush)
            } || interrupted
        } catch CollectorError.kernel(let code, let failed) where failed == NetlinkConstants.afInet6 {
          // IPv4 worked: a kernel without IPv6 diag support loses only the IPv6 sockets.
          notes.append(.ipv6DiagUnavailable(errno: SystemCalls.errnoName(code)))
        }
      }
    }
    if !kernelFilter { Collector.filterPorts(request.ports, &sockets) }
    return interrupted
  }

  /// Both halves of a split single-walk dump at once, appended to `sockets`. Throws on any
  /// failure of either half (the caller then dumps the usual way, which handles ENOBUFS,
  /// refusals and fallbacks). Returns true when either half was interrupted.
  private func dumpSplit(states: UInt32, expected: Int, into sockets: inout [SocketRecord]) throws -> Bool {
    let first = try netlink ?? openNetlink()
    netlink = first
    let second = try secondNetlink ?? openNetlink()
    secondNetlink = second
    let halves = [
      (first, InetDiagRequest.portSplitBytecode(split: splitPort, upper: true)),
      (second, InetDiagRequest.portSplitBytecode(split: splitPort, upper: false)),
    ]
    var parts = [[SocketRecord]](repeating: [], count: 2)
    var outcomes = [Result<Bool, Error>](repeating: .success(false), count: 2)
    // The first half gets room for both (the second is appended to it without growing it);
    // pages never written are never touched, so the spare room costs no memory.
    let capacities = [expected, expected / 2 + expected / 8 + 64]
    parts.withUnsafeMutableBufferPointer { records in
      outcomes.withUnsafeMutableBufferPointer { results in
        Parallel.forEach(count: 2, workers: 2) { _, i in
          records[i].reserveCapacity(capacities[i])
          results[i] = Result { try halves[i].0.dumpAllFamilies(states: states, bytecode: halves[i].1, into: &records[i]) }
          return false
        }
      }
    }
    var interrupted = false
    for outcome in outcomes {
      switch outcome {
      case .success(let flag): interrupted = interrupted || flag
      case .failure(let error):
        // A socket that failed mid-dump may hold stale datagrams: start over on fresh ones.
        netlink = nil
        secondNetlink = nil
        throw error
      }
    }
    var combined = parts[0]
    parts[0] = []
    combined.append(contentsOf: parts[1])
    parts[1] = []
    if sockets.isEmpty {
      sockets = combined
    } else {
      sockets.append(contentsOf: combined)
    }
    return interrupted
  }

  /// Runs one dump. When the reply overran the receive queue (ENOBUFS), what arrived is
  /// incomplete and the socket may still hold stale datagrams: the dump starts again on a fresh
  /// socket, at most twice.
  private func dumpRetryingOnENOBUFS(
    into sockets: inout [SocketRecord], _ dump: (SockDiagSocket, inout [SocketRecord]) throws -> Bool
  ) throws -> Bool {
    var socket = try netlink ?? openNetlink()
    netlink = socket
    let before = sockets.count
    var retries = 0
    while true {
      do {
        return try dump(socket, &sockets)
      } catch CollectorError.netlinkReceive(let code) where code == ENOBUFS && retries < 2 {
        retries += 1
        // A streamed walk handed some on already: merging them again is harmless.
        sockets.removeSubrange(min(before, sockets.count)...)
        netlink = nil
        socket = try openNetlink()
        netlink = socket
      }
    }
  }

  private func readProc(_ request: CollectRequest, into sockets: inout [SocketRecord], notes: inout [CollectorNote])
    throws
  {
    for path in [procNetTCPPaths.v4, procNetTCPPaths.v6] {
      switch SystemCalls.readFile(path) {
      case .failure(let e):
        if e.code == ENOENT && path == procNetTCPPaths.v6 {  // IPv6 disabled or not built in
          notes.append(.ipv6ProcMissing(path: path))
          continue
        }
        throw CollectorError.procRead(path: path, errno: e.code)
      case .success(let bytes):
        do {
          try ProcNetTCPParser.parse(bytes[...], states: request.states, into: &sockets)
        } catch let error as ProcParseError {
          throw CollectorError.procParse(path: path, why: error.description)
        }
      }
    }
    Collector.filterPorts(request.ports, &sockets)
  }

  static func filterPorts(_ ports: [UInt16], _ sockets: inout [SocketRecord]) {
    if ports.isEmpty { return }
    let wanted = Set(ports)
    sockets.removeAll { !wanted.contains($0.local.port) && !wanted.contains($0.remote.port) }
  }
}
