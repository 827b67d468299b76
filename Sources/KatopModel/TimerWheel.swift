// How late the kernel's timer wheel fires a timer (kernel/time/timer.c), for keepalive margins.
//
// The wheel has levels of 64 buckets (LVL_BITS 6); level n's buckets are 8^n jiffies wide
// (LVL_CLK_SHIFT 3), and a timer goes into the first level whose range holds its delay:
// level n starts at 63 << 3(n-1) jiffies. It is rounded up to its bucket's end, so it fires up to
// one bucket width late: at most 8 / 63 = 12.7 % of the delay (1 jiffy on level 0).

public enum TimerWheel {
  public static let levelClockShift = 3
  public static let levelBits = 6
  /// The worst lateness as a fraction of the delay when HZ is unknown: 8/63.
  public static let worstFraction = Double(1 << levelClockShift) / Double((1 << levelBits) - 1)

  /// Bucket width (jiffies) of the level a timer `delayJiffies` ahead is queued on.
  public static func granularityJiffies(delayJiffies: Int64) -> Int64 {
    let size = Int64(1 << levelBits)
    var level: Int64 = 0
    // Level n holds delays below LVL_START(n + 1) = (size - 1) << (3 * n); at most 9 levels.
    while level < 8 && delayJiffies >= (size - 1) << (Int64(levelClockShift) * level) { level += 1 }
    return Int64(1) << (Int64(levelClockShift) * level)
  }

  /// Worst lateness in ms of a timer `delayMs` ahead: one bucket width at `hz`, or 12.7 % of the
  /// delay (rounded up) when HZ is not known.
  public static func worstLatenessMs(delayMs: Int64, hz: Int?) -> Int64 {
    guard delayMs > 0 else { return 0 }
    guard let hz, hz > 0 else { return Int64((Double(delayMs) * worstFraction).rounded(.up)) }
    let jiffyMs = 1000.0 / Double(hz)
    let delayJiffies = Int64((Double(delayMs) / jiffyMs).rounded(.up))
    return Int64((Double(granularityJiffies(delayJiffies: delayJiffies)) * jiffyMs).rounded(.up))
  }
}
