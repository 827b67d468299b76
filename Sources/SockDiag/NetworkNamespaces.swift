// Network namespaces for `--netns` (docs/json.md `system.namespaces`): found like lsns does
// (/proc/*/ns/net unique by inode, plus the nsfs bind mounts of `ip netns` under /run/netns),
// and collected one at a time on a thread of their own: setns(CLONE_NEWNET) moves only the
// calling thread, and a netlink socket dumps the namespace it was created in, as /proc/sys/net
// reads the calling thread's namespace.

import CKatopNetlink
import Glibc
import KatopModel

/// A network namespace katop can enter.
public struct NetnsRef: Sendable, Hashable {
  public var inode: UInt64
  /// The `ip netns` name (/run/netns/NAME), if it has one.
  public var name: String?
  /// A process inside it (the lowest pid), if any.
  public var pid: Int32?
  /// What to open for setns: /run/netns/NAME, /proc/PID/ns/net or the path given.
  public var path: String
  /// True for katop's own namespace.
  public var own: Bool
}

public enum NetnsError: Error, CustomStringConvertible {
  case notFound(String)
  case enter(String, errno: Int32)
  public var description: String {
    switch self {
    case .notFound(let spec): return "--netns \(spec): no such network namespace (an ip netns name, a pid or a path)"
    case .enter(let path, let e):
      return "cannot enter the network namespace \(path): \(SystemCalls.errnoName(e))" + (e == EPERM ? " (setns needs root: CAP_SYS_ADMIN)" : "")
    }
  }
}

public enum NetworkNamespaces {
  static func inode(_ path: String) -> UInt64? { HostFacts.inode(path) }

  public static func ownInode() -> UInt64? { inode("/proc/self/ns/net") }

  /// Every namespace: the named ones under `runDir`, then those of processes (unique by inode).
  public static func list(procRoot: String = "/proc", runDir: String = "/run/netns") -> [NetnsRef] {
    let own = ownInode()
    var byInode: [UInt64: NetnsRef] = [:]
    var order: [UInt64] = []
    func add(_ ref: NetnsRef) {
      if var known = byInode[ref.inode] {
        known.name = known.name ?? ref.name
        known.pid = known.pid ?? ref.pid
        byInode[ref.inode] = known
      } else {
        byInode[ref.inode] = ref
        order.append(ref.inode)
      }
    }
    if let own { add(NetnsRef(inode: own, name: nil, pid: getpid(), path: "/proc/self/ns/net", own: true)) }
    for name in entries(runDir).sorted() {
      let path = runDir + "/" + name
      if let i = inode(path) { add(NetnsRef(inode: i, name: name, pid: nil, path: path, own: i == own)) }
    }
    for pid in entries(procRoot).compactMap({ Int32($0) }).sorted() {
      let path = "\(procRoot)/\(pid)/ns/net"
      guard let i = inode(path) else { continue }  // gone, or not ours to read (not root)
      add(NetnsRef(inode: i, name: nil, pid: pid, path: path, own: i == own))
    }
    return order.compactMap { byInode[$0] }
  }

  /// katop's own namespace, with its ip netns name when it has one.
  public static func own(runDir: String = "/run/netns") -> NetnsRef? {
    guard let i = ownInode() else { return nil }
    let name = entries(runDir).sorted().first { inode(runDir + "/" + $0) == i }
    return NetnsRef(inode: i, name: name, pid: getpid(), path: "/proc/self/ns/net", own: true)
  }

  /// `NAME` (ip netns), `PID` or a path to a namespace file.
  public static func resolve(_ spec: String, procRoot: String = "/proc", runDir: String = "/run/netns") throws -> NetnsRef {
    let path: String
    var name: String?
    var pid: Int32?
    if spec.hasPrefix("/") {
      path = spec
    } else if let p = Int32(spec), p > 0 {
      path = "\(procRoot)/\(p)/ns/net"
      pid = p
    } else {
      path = runDir + "/" + spec
      name = spec
    }
    guard let i = inode(path) else { throw NetnsError.notFound(spec) }
    let all = list(procRoot: procRoot, runDir: runDir)
    let known = all.first { $0.inode == i }
    return NetnsRef(inode: i, name: name ?? known?.name, pid: pid ?? known?.pid, path: path, own: i == ownInode())
  }

  /// The label of a namespace: its name, and the container of a process inside it.
  public static func label(of ref: NetnsRef, procRoot: String = "/proc") -> NamespaceLabel {
    var container: String?
    if !ref.own, let pid = ref.pid, let text = SystemCalls.readString("\(procRoot)/\(pid)/cgroup") {
      container = CgroupParser.container(fromCgroup: text)
    }
    return NamespaceLabel(inode: ref.inode, name: ref.name, container: container)
  }

  /// Collects `request` inside `ref` on a thread of its own (katop's own namespace: on the
  /// calling thread), with the namespace's nf_conntrack_tcp_timeout_established.
  public static func collect(_ ref: NetnsRef, request: CollectRequest) throws -> (snapshot: Snapshot, conntrackTimeout: Int?) {
    try run(in: ref) { try NamespaceWork.collectHere(request) }
  }

  /// A namespace's settings without a dump (the TUI's namespace view): its keepalive sysctls,
  /// tcp_retries2, conntrack timeout and TCP socket count (sockstat), read inside it.
  public static func facts(_ ref: NetnsRef) throws -> NamespaceFacts {
    let label = label(of: ref)
    return try run(in: ref) {
      var system = SystemInfo()
      var notes: [CollectorNote] = []
      SystemInfoReader.readSettings(into: &system, notes: &notes)
      // /proc/net is the main thread's namespace; /proc/thread-self/net is this thread's.
      let sockets = SystemInfoReader.tcpSocketEstimate(procRoot: ref.own ? "/proc" : "/proc/thread-self")
      return NamespaceFacts(
        label: label, pid: ref.pid, own: ref.own, system: system,
        conntrackEstablishedTimeout: HostFacts.conntrackEstablishedTimeout(), connections: sockets)
    }
  }

  /// Runs `body` inside `ref`: on a pthread of its own after setns (setns moves only the calling
  /// thread, so the caller's namespace never changes), or on the calling thread for katop's own.
  static func run<T>(in ref: NetnsRef, _ body: @escaping () throws -> T) throws -> T {
    if ref.own { return try body() }
    let job = NamespaceJob(path: ref.path, body: body)
    var thread = pthread_t()
    let context = Unmanaged.passRetained(job as NamespaceWork).toOpaque()
    let started = pthread_create(&thread, nil, { raw in
      guard let raw else { return nil }
      Unmanaged<NamespaceWork>.fromOpaque(raw).takeRetainedValue().enterAndRun()
      return nil
    }, context)
    if started != 0 {
      Unmanaged<NamespaceWork>.fromOpaque(context).release()
      throw NetnsError.enter(ref.path, errno: started)
    }
    pthread_join(thread, nil)
    return try job.result.get()
  }

  static func entries(_ dir: String) -> [String] {
    guard let d = opendir(dir) else { return [] }
    defer { closedir(d) }
    var out: [String] = []
    while let e = readdir(d) {
      let name = withUnsafePointer(to: e.pointee.d_name) { $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) } }
      if name != "." && name != ".." { out.append(name) }
    }
    return out
  }
}

/// Work run on a namespace's own pthread: enters the namespace, then runs (the thread is joined
/// before the result is read: the reason it may cross threads unchecked).
class NamespaceWork: @unchecked Sendable {
  let path: String
  init(path: String) { self.path = path }

  func enterAndRun() {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return failed(NetnsError.enter(path, errno: errno)) }
    let entered = katop_setns_net(fd)
    let code = errno
    close(fd)
    guard entered == 0 else { return failed(NetnsError.enter(path, errno: code)) }
    runInside()
  }

  func runInside() {}
  func failed(_ error: Error) {}

  /// A collection in the calling thread's namespace: a fresh collector (its netlink socket is
  /// made here), one walk, no split across threads (a second thread would dump another namespace).
  static func collectHere(_ request: CollectRequest) throws -> (snapshot: Snapshot, conntrackTimeout: Int?) {
    let collector = Collector()
    collector.keepsCaches = false
    collector.splitsDump = false
    var snapshot = try collector.collect(request)
    // The TcpExt counters of this namespace (/proc/net follows the main thread's).
    if let netstat = SystemCalls.readString("/proc/thread-self/net/netstat") {
      let counters = SystemInfoReader.tcpExtCounters(netstat, ["TCPKeepAlive", "TCPAbortOnTimeout"])
      snapshot.system.keepaliveProbesSent = counters[0]
      snapshot.system.abortOnTimeout = counters[1]
    }
    return (snapshot, HostFacts.conntrackEstablishedTimeout())
  }
}

final class NamespaceJob<T>: NamespaceWork, @unchecked Sendable {
  let body: () throws -> T
  var result: Result<T, Error> = .failure(NetnsError.notFound(""))

  init(path: String, body: @escaping () throws -> T) {
    self.body = body
    super.init(path: path)
  }

  override func runInside() { result = Result { try body() } }
  override func failed(_ error: Error) { result = .failure(error) }
}
