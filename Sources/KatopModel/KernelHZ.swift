// The kernel's HZ, for the timer wheel's margins (TimerWheel, FlowBudget): from the kernel's
// build config when a file shows it, else from the granularity of the times sock_diag reports.
// tcp_info's last_data_sent / last_data_recv / last_ack_recv and the timers' expiry are jiffies
// turned into ms (jiffies_to_msecs): at HZ=100 they are multiples of 10, at 250 of 4, at 300 they
// end in 0, 4 or 7 (j * 10 / 3 rounded up), at 1000 anything. With enough samples a coarser HZ
// cannot be mistaken for a finer one by chance (16 samples: (1/4)^16 < 1e-9).

public struct KernelHZ: Hashable, Sendable {
  public var hz: Int
  /// Where it came from: `config` (CONFIG_HZ in /boot/config-RELEASE) or `granularity`.
  public var from: String

  public init(hz: Int, from: String) {
    self.hz = hz
    self.from = from
  }

  /// Samples needed before the granularity decides.
  public static let minimumSamples = 16

  /// CONFIG_HZ from a kernel config's text (`CONFIG_HZ=250`); nil when absent or odd.
  public static func fromConfig(_ text: String) -> KernelHZ? {
    for line in text.split(separator: "\n") where line.hasPrefix("CONFIG_HZ=") {
      guard let hz = Int(line.dropFirst("CONFIG_HZ=".count)), (24...10_000).contains(hz) else { return nil }
      return KernelHZ(hz: hz, from: "config")
    }
    return nil
  }

  /// HZ from the ms values of `records` (nonzero times and timer expiries); nil with fewer than
  /// `minimumSamples` or a pattern of no common HZ.
  public static func fromGranularity(_ records: some Sequence<SocketRecord>) -> KernelHZ? {
    var samples: [UInt32] = []
    samples.reserveCapacity(256)
    for r in records {
      if r.timer != .off && r.timerExpiresMs > 0 { samples.append(r.timerExpiresMs) }
      guard let i = r.info else { continue }
      for v in [i.lastDataSentMs, i.lastDataRecvMs, i.lastAckRecvMs] { if let v, v > 0 { samples.append(v) } }
      if samples.count >= 256 { break }
    }
    return fromGranularity(ms: samples)
  }

  public static func fromGranularity(ms samples: [UInt32]) -> KernelHZ? {
    guard samples.count >= minimumSamples else { return nil }
    if samples.allSatisfy({ $0 % 10 == 0 }) { return KernelHZ(hz: 100, from: "granularity") }
    if samples.allSatisfy({ $0 % 4 == 0 }) { return KernelHZ(hz: 250, from: "granularity") }
    if samples.allSatisfy({ [0, 4, 7].contains($0 % 10) }) { return KernelHZ(hz: 300, from: "granularity") }
    return KernelHZ(hz: 1000, from: "granularity")
  }
}
