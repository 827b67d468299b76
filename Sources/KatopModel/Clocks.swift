// The clocks katop prices its work with (refresh spacing, cache ages, the benchmark): one
// clock_gettime reader for every module, and the one nanosleep.
import Glibc

public enum Clocks {
  /// `clock`'s reading in seconds (CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID, ...).
  public static func seconds(_ clock: clockid_t) -> Double {
    var ts = timespec()
    clock_gettime(clock, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
  }

  /// `clock`'s reading in whole ms.
  public static func milliseconds(_ clock: clockid_t) -> UInt64 {
    var ts = timespec()
    clock_gettime(clock, &ts)
    return UInt64(ts.tv_sec) * 1000 + UInt64(ts.tv_nsec) / 1_000_000
  }

  public static func monotonicMs() -> UInt64 { milliseconds(CLOCK_MONOTONIC) }
  /// CPU time of the whole process (all threads).
  public static func processCPUMs() -> UInt64 { milliseconds(CLOCK_PROCESS_CPUTIME_ID) }
  /// CPU time of the calling thread.
  public static func threadCPUMs() -> UInt64 { milliseconds(CLOCK_THREAD_CPUTIME_ID) }

  /// Sleeps `ms` milliseconds (the whole time: a signal's interruption sleeps on for the rest).
  public static func sleep(ms: Int) {
    var pause = timespec(tv_sec: ms / 1000, tv_nsec: (ms % 1000) * 1_000_000)
    var left = timespec()
    while nanosleep(&pause, &left) != 0 && errno == EINTR { pause = left }
  }
}
