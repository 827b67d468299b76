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

  /// Fills the sysctl and counter fields; missing files keep the defaults, unusable values
  /// (not a number, negative, out of the kernel's range, empty) keep them too and add a note.
  /// `procRoot` is "/proc" except in tests.
  static func readSettings(into info: inout SystemInfo, notes: inout [CollectorNote], procRoot: String = "/proc") {
    let base = procRoot + "/sys/net/ipv4/"
    func read(_ name: String, _ range: ClosedRange<Int>, _ value: inout Int) {
      let (parsed, note) = sysctlValue(SystemCalls.readString(base + name), name: name, range: range, fallback: value)
      value = parsed
      if let note { notes.append(note) }
    }
    // Ranges the kernel can hold: seconds as jiffies in an int (INT_MAX / HZ, HZ <= 1000 and
    // >= 100), counts in a u8.
    read("tcp_keepalive_time", 0...maxSysctlSeconds, &info.keepaliveTime)
    read("tcp_keepalive_intvl", 0...maxSysctlSeconds, &info.keepaliveInterval)
    read("tcp_keepalive_probes", 0...255, &info.keepaliveProbes)
    read("tcp_retries2", 0...255, &info.tcpRetries2)
    if let netstat = SystemCalls.readString(procRoot + "/net/netstat") {
      let counters = tcpExtCounters(netstat, ["TCPKeepAlive", "TCPAbortOnTimeout"])
      info.keepaliveProbesSent = counters[0]
      info.abortOnTimeout = counters[1]
    }
  }

  static let maxSysctlSeconds = Int(Int32.max) / 100

  /// TCP sockets in this namespace per /proc/net/sockstat{,6} ("TCP: inuse N ... tw T" plus
  /// "TCP6: inuse N"): a capacity hint for an unfiltered dump, so its records array is sized once
  /// instead of growing (each growth copies every record). 0 when unreadable.
  static func tcpSocketEstimate(procRoot: String = "/proc") -> Int {
    var total = 0
    for (file, prefix) in [("/net/sockstat", "TCP:"), ("/net/sockstat6", "TCP6:")] {
      guard let text = SystemCalls.readString(procRoot + file) else { continue }
      for line in text.split(separator: "\n") where line.hasPrefix(prefix + " ") {
        let words = line.split(separator: " ")
        for (i, word) in words.enumerated() where (word == "inuse" || word == "tw") && i + 1 < words.count {
          total += min(Int(words[i + 1]) ?? 0, 1 << 24)
        }
      }
    }
    return total
  }

  /// The middle of net.ipv4.ip_local_port_range ("32768\t60999" -> 46883): most connections
  /// have one ephemeral port, so this splits a host's sockets roughly in half. 46883 when the
  /// file is missing or odd.
  static func ephemeralPortMiddle(procRoot: String = "/proc") -> UInt16 {
    let fallback: UInt16 = 46883
    guard let text = SystemCalls.readString(procRoot + "/sys/net/ipv4/ip_local_port_range") else { return fallback }
    let numbers = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).compactMap { Int($0) }
    guard numbers.count == 2, numbers[0] >= 1, numbers[0] <= numbers[1], numbers[1] <= 65535 else { return fallback }
    return UInt16((numbers[0] + numbers[1]) / 2)
  }

  /// One sysctl file's value: the number when it is one in `range`, else `fallback` and a
  /// one-line note naming the file and the (printable, shortened) text. A missing file (nil)
  /// keeps `fallback` silently.
  static func sysctlValue(_ text: String?, name: String, range: ClosedRange<Int>, fallback: Int)
    -> (value: Int, note: CollectorNote?)
  {
    guard let text else { return (fallback, nil) }
    let trimmed = text[...].trimmingCharacters(in: " \t\n")
    if let v = Int(trimmed), range.contains(v) { return (v, nil) }
    var shown = String(trimmed.unicodeScalars.prefix(24).map { $0.value < 0x20 || $0.value == 0x7F ? "?" : Character($0) })
    if trimmed.unicodeScalars.count > 24 { shown += "..." }
    return (fallback, .ignoredSysctl(name: name, shown: trimmed.isEmpty ? nil : shown, range: range, assumed: fallback))
  }

  /// ActiveOpens + PassiveOpens of this namespace's TCP MIB (/proc/net/snmp, both families):
  /// moves whenever a connection is made here. nil when unreadable.
  static func tcpOpens(procRoot: String = "/proc") -> UInt64? {
    guard let snmp = SystemCalls.readString(procRoot + "/net/snmp") else { return nil }
    let c = tcpExtCounters(snmp, ["ActiveOpens", "PassiveOpens"], group: "Tcp:")
    guard let active = c[0], let passive = c[1] else { return nil }
    return active &+ passive
  }

  /// The values of the TcpExt counters `names` (same order; nil when missing or not a number),
  /// from /proc/net/netstat's TcpExt name line and value line (or another `group`'s, e.g. "Tcp:"
  /// of /proc/net/snmp): each name's position in the first picks its value in the second.
  static func tcpExtCounters(_ text: String, _ names: [String], group: String = "TcpExt:") -> [UInt64?] {
    var tcpExt: [Substring] = []
    for line in text.split(separator: "\n") where line.hasPrefix(group) {
      tcpExt.append(line)
      if tcpExt.count == 2 { break }
    }
    guard tcpExt.count == 2 else { return names.map { _ in nil } }
    let header = tcpExt[0].split(separator: " ")
    let values = tcpExt[1].split(separator: " ")
    return names.map { name in
      guard let i = header.firstIndex(where: { $0 == name }), i > 0, i < values.count else { return nil }
      return UInt64(values[i])
    }
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
