// What katop may do to other processes' sockets, read before acting so an action is refused with
// one line naming what is missing: CAP_NET_ADMIN (SOCK_DESTROY), CAP_SYS_PTRACE and yama's
// ptrace_scope (pidfd_getfd needs PTRACE_MODE_ATTACH_REALCREDS over the owner).

import Glibc
import KatopModel

public struct ActionPermissions: Hashable, Sendable {
  public var uid: UInt32
  public var netAdmin: Bool
  public var sysPtrace: Bool
  /// /proc/sys/kernel/yama/ptrace_scope; nil without yama (classic ptrace rules).
  public var ptraceScope: Int?

  static let capNetAdmin = 12
  static let capSysPtrace = 19

  public init(uid: UInt32, netAdmin: Bool, sysPtrace: Bool, ptraceScope: Int?) {
    self.uid = uid
    self.netAdmin = netAdmin
    self.sysPtrace = sysPtrace
    self.ptraceScope = ptraceScope
  }

  /// This process's effective uid and capabilities (CapEff of /proc/self/status) and yama.
  public static func current(procRoot: String = "/proc") -> ActionPermissions {
    var caps: UInt64 = 0
    if let status = SystemCalls.readString(procRoot + "/self/status") {
      for line in status.split(separator: "\n") where line.hasPrefix("CapEff:") {
        caps = UInt64(line.dropFirst("CapEff:".count).filter { !$0.isWhitespace }, radix: 16) ?? 0
      }
    }
    let scope = SystemCalls.readString(procRoot + "/sys/kernel/yama/ptrace_scope")
      .flatMap { Int($0.filter { !$0.isWhitespace }) }
    return ActionPermissions(
      uid: geteuid(), netAdmin: caps & (1 << capNetAdmin) != 0, sysPtrace: caps & (1 << capSysPtrace) != 0,
      ptraceScope: scope)
  }

  /// The owner of /proc/PID (the process's uid), nil when there is no such process.
  public static func processUID(_ pid: Int32, procRoot: String = "/proc") -> UInt32? {
    var st = stat()
    return stat("\(procRoot)/\(pid)", &st) == 0 ? st.st_uid : nil
  }

  /// nil when `katop kill` may run; otherwise why not, in one line.
  public var refusalToKill: String? {
    netAdmin ? nil : "kill needs CAP_NET_ADMIN (sock_diag SOCK_DESTROY); katop runs as uid \(uid) without it"
  }

  /// nil when set-keepalive may reach processes of `ownerUIDs` (pid -> uid); otherwise why not.
  public func refusalToSetKeepalive(ownerUIDs: [Int32: UInt32]) -> String? {
    if ptraceScope == 3 {
      return "set-keepalive needs pidfd_getfd, which yama ptrace_scope 3 forbids for every process (until reboot)"
    }
    if sysPtrace { return nil }
    if let scope = ptraceScope, scope >= 1 {
      return "set-keepalive needs CAP_SYS_PTRACE: yama ptrace_scope \(scope) lets katop reach "
        + (scope == 1 ? "only its own child processes" : "no process without it")
    }
    for (pid, owner) in ownerUIDs.sorted(by: { $0.key < $1.key }) where owner != uid {
      return "set-keepalive on pid \(pid) (uid \(owner)) needs CAP_SYS_PTRACE; katop runs as uid \(uid) without it"
    }
    return nil
  }
}
