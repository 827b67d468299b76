// Facts about this host and namespace the flow verdict needs: its own addresses, the network
// namespace katop runs in, that namespace's conntrack timeout, and the DMI strings for profile auto.

import Glibc
import KatopModel

public enum HostFacts {
  /// Every address of this namespace's interfaces (getifaddrs), loopback included.
  public static func localAddresses() -> Set<IPAddress> {
    var out: Set<IPAddress> = []
    var head: UnsafeMutablePointer<ifaddrs>?
    guard getifaddrs(&head) == 0, let first = head else { return out }
    defer { freeifaddrs(head) }
    var cursor: UnsafeMutablePointer<ifaddrs>? = first
    var guardCount = 0
    while let entry = cursor, guardCount < 100_000 {
      guardCount += 1
      defer { cursor = entry.pointee.ifa_next }
      guard let sa = entry.pointee.ifa_addr else { continue }
      switch Int32(sa.pointee.sa_family) {
      case AF_INET:
        let a = UnsafeRawPointer(sa).load(as: sockaddr_in.self).sin_addr.s_addr
        let b = withUnsafeBytes(of: a) { Array($0) }
        out.insert(.v4(b[0], b[1], b[2], b[3]))
      case AF_INET6:
        let a = UnsafeRawPointer(sa).load(as: sockaddr_in6.self).sin6_addr
        let b = withUnsafeBytes(of: a) { Array($0) }
        let hi = b[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let lo = b[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        out.insert(.v6(hi: hi, lo: lo))
      default:
        continue
      }
    }
    return out
  }

  static func inode(_ path: String) -> UInt64? {
    var st = stat()
    guard stat(path, &st) == 0 else { return nil }
    return UInt64(st.st_ino)
  }

  public static func netns() -> NetnsInfo? {
    guard let mine = inode("/proc/self/ns/net") else { return nil }
    return NetnsInfo(inode: mine, isHost: inode("/proc/1/ns/net").map { $0 == mine })
  }

  /// CONFIG_HZ of the running kernel from /boot/config-RELEASE (Debian and most distributions
  /// ship it); nil without it (then KernelHZ.fromGranularity on a snapshot).
  public static func kernelHZFromConfig(bootDir: String = "/boot") -> KernelHZ? {
    var u = utsname()
    guard uname(&u) == 0 else { return nil }
    let release = withUnsafeBytes(of: u.release) { raw in
      String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
    }
    return SystemCalls.readString(bootDir + "/config-" + release).flatMap(KernelHZ.fromConfig)
  }

  /// This namespace's nf_conntrack_tcp_timeout_established (s); nil when conntrack is not loaded here.
  public static func conntrackEstablishedTimeout(procRoot: String = "/proc") -> Int? {
    let path = procRoot + "/sys/net/netfilter/nf_conntrack_tcp_timeout_established"
    guard let text = SystemCalls.readString(path) else { return nil }
    guard let v = Int(trimmed(text)), v > 0 else { return nil }
    return v
  }

  /// The DMI strings under `dir` (/sys/class/dmi/id, or KATOP_DMI_DIR in tests); nil when the
  /// directory has none of them (no DMI: containers without /sys, some ARM boards).
  public static func dmi(dir: String = "/sys/class/dmi/id") -> DMIStrings? {
    func read(_ name: String) -> String? {
      SystemCalls.readString(dir + "/" + name).map(trimmed)
    }
    let fields = ["sys_vendor", "product_name", "chassis_asset_tag", "bios_vendor", "bios_version"].map(read)
    guard fields.contains(where: { $0 != nil }) else { return nil }
    return DMIStrings(
      sysVendor: fields[0] ?? "", productName: fields[1] ?? "", chassisAssetTag: fields[2] ?? "",
      biosVendor: fields[3] ?? "", biosVersion: fields[4] ?? "")
  }

  static func trimmed(_ s: String) -> String {
    String(s.drop { $0 == " " || $0 == "\t" || $0 == "\n" }.reversed().drop { $0 == " " || $0 == "\t" || $0 == "\n" }.reversed())
  }
}
