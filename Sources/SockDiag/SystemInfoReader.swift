// Host facts for SystemInfo: names, keepalive sysctls, TcpExt counters, privileges.

import CKatopNetlink
import Glibc
import KatopModel

enum SystemInfoReader {
  static func hostname() -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    guard gethostname(&buffer, buffer.count - 1) == 0 else { return "" }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  static func kernelRelease() -> String {
    var names = utsname()
    guard uname(&names) == 0 else { return "" }
    return withUnsafeBytes(of: &names.release) { raw in
      String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
    }
  }

  /// Root, or CAP_SYS_PTRACE in the effective set (what pidfd_getfd on other users' processes
  /// needs).
  static func privileged() -> Bool {
    if geteuid() == 0 { return true }
    guard let status = SystemCalls.readString("/proc/self/status") else { return false }
    for line in status.split(separator: "\n") where line.hasPrefix("CapEff:") {
      let hex = line.dropFirst("CapEff:".count).trimmingCharacters(in: " \t")
      if let caps = UInt64(hex, radix: 16) { return caps & (1 << 19) != 0 }  // CAP_SYS_PTRACE
    }
    return false
  }

  /// Fills the sysctl and counter fields; missing files keep the defaults.
  static func readSettings(into info: inout SystemInfo) {
    let base = "/proc/sys/net/ipv4/"
    if let v = SystemCalls.readInt(base + "tcp_keepalive_time") { info.keepaliveTime = v }
    if let v = SystemCalls.readInt(base + "tcp_keepalive_intvl") { info.keepaliveInterval = v }
    if let v = SystemCalls.readInt(base + "tcp_keepalive_probes") { info.keepaliveProbes = v }
    if let v = SystemCalls.readInt(base + "tcp_retries2") { info.tcpRetries2 = v }
    if let netstat = SystemCalls.readString("/proc/net/netstat") {
      let counters = tcpExtCounters(netstat)
      info.keepaliveProbesSent = counters["TCPKeepAlive"]
      info.abortOnTimeout = counters["TCPAbortOnTimeout"]
    }
  }

  /// The TcpExt name line and value line of /proc/net/netstat, zipped.
  static func tcpExtCounters(_ text: String) -> [String: UInt64] {
    let lines = text.split(separator: "\n").filter { $0.hasPrefix("TcpExt:") }
    guard lines.count >= 2 else { return [:] }
    let names = lines[0].split(separator: " ").dropFirst()
    let values = lines[1].split(separator: " ").dropFirst()
    var result: [String: UInt64] = [:]
    for (name, value) in zip(names, values) {
      if let v = UInt64(value) { result[String(name)] = v }
    }
    return result
  }
}

extension Substring {
  fileprivate func trimmingCharacters(in set: String) -> Substring {
    var s = self
    while let c = s.first, set.contains(c) { s = s.dropFirst() }
    while let c = s.last, set.contains(c) { s = s.dropLast() }
    return s
  }
}
