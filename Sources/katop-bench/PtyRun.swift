// The TUI in a real pseudo-terminal: time to the first frame, CPU share at steady refresh, peak RSS.
import CKatopPty
import Foundation
import Glibc
import Synchronization

struct TUIMeasurement {
  var firstFrameSeconds: Double
  var cpuPercent: Double
  var peakRSSMiB: Double
  /// Refreshes seen in the sampling window (bursts of screen output, see `RefreshCounter`) and the
  /// mean spacing of their starts in seconds (nan when fewer than two were seen).
  var refreshes: Int
  var refreshIntervalSeconds: Double
  /// CPU bursts >= 20 ms in the window (costly refreshes: walks of the whole table).
  var costlyRefreshes: Int
}

/// Counts refreshes from the outside by the screen: each refresh redraws (the Idle column moves
/// every second), so the pty sees a burst of output per refresh and nothing in between. A burst
/// starts after >= 250 ms without output. (Counting bursts of CPU time instead misses refreshes
/// cheaper than a clock tick, such as the filtered TUI's lookups.)
func outputBursts(_ times: [Double], from t0: Double, to t1: Double) -> [Double] {
  var starts: [Double] = []
  var last = -Double.infinity
  for t in times where t >= t0 && t <= t1 {
    if t - last >= 0.25 { starts.append(t) }
    last = t
  }
  return starts
}

func meanSpacing(_ starts: [Double]) -> Double {
  guard let first = starts.first, let last = starts.last, starts.count >= 2 else { return .nan }
  return (last - first) / Double(starts.count - 1)
}

/// CPU bursts in /proc/PID/stat: katop is idle between refreshes (the UI thread wakes every
/// 100 ms for microseconds), so a costly refresh shows as a burst of CPU time. Sampled every
/// 10 ms; a burst starts with CPU time after >= 250 ms without any, and counts when it used
/// >= 20 ms. Kept to show how many refreshes were costly (the full table).
struct RefreshCounter {
  private var lastCPU: Double?
  private var lastBusyAt = -Double.infinity
  private var burstStart = 0.0
  private var burstCPU = 0.0
  private var burstCounted = true
  private(set) var starts: [Double] = []

  mutating func sample(cpu: Double, at t: Double) {
    defer { lastCPU = cpu }
    guard let last = lastCPU, cpu > last else { return }
    if t - lastBusyAt >= 0.25 {
      burstStart = t
      burstCPU = 0
      burstCounted = false
    }
    lastBusyAt = t
    burstCPU += cpu - last
    if !burstCounted && burstCPU >= 0.02 {
      burstCounted = true
      starts.append(burstStart)
    }
  }

}

/// Reads /proc/PID/stat utime+stime in seconds.
func cpuSeconds(pid: pid_t) -> Double? {
  guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
    let close = text.lastIndex(of: ")")
  else { return nil }
  let fields = text[text.index(after: close)...].split(separator: " ")
  // After "pid (comm)": state is field 3, utime 14, stime 15 -> indices 11 and 12 here.
  guard fields.count > 13, let u = Double(fields[11]), let s = Double(fields[12]) else { return nil }
  return (u + s) / Double(sysconf(Int32(_SC_CLK_TCK)))
}

func peakRSSMiB(pid: pid_t) -> Double? {
  guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
  for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
    let kb = line.split(separator: " ").compactMap { Double($0) }.first
    return kb.map { $0 / 1024 }
  }
  return nil
}

/// Starts `argv` on a 120x40 pty, waits for `marker` in its output (the first frame), then samples
/// its CPU time over `seconds`.
func measureTUI(_ argv: [String], marker: String, seconds: Double) throws -> TUIMeasurement {
  var master: Int32 = -1
  var path = [CChar](repeating: 0, count: 128)
  let rc = katop_pty_open(40, 120, &master, &path, Int32(path.count))
  if rc != 0 { throw SpawnError.failed("a pty", -rc) }
  defer { close(master) }
  let slave = String(decoding: path.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  var actions = posix_spawn_file_actions_t()
  posix_spawn_file_actions_init(&actions)
  defer { posix_spawn_file_actions_destroy(&actions) }
  for fd: Int32 in 0...2 {
    posix_spawn_file_actions_addopen(&actions, fd, slave, fd == 0 ? O_RDWR : O_WRONLY, 0)
  }
  var attr = posix_spawnattr_t()
  posix_spawnattr_init(&attr)
  defer { posix_spawnattr_destroy(&attr) }
  posix_spawnattr_setflags(&attr, katop_spawn_setsid_flag())
  let start = monotonicSeconds()
  let pid = try withUnsafePointer(to: &attr) { try spawn(argv, actions: &actions, attr: $0) }

  // Drain the pty on a thread (a full pty would stall the TUI); note when the marker appears.
  let watch = FrameWatch(fd: master, marker: marker, start: start)
  let reader = Thread { watch.drain() }
  reader.start()
  defer {
    watch.finish()
    kill(pid, SIGTERM)
    var status: Int32 = 0
    waitpid(pid, &status, 0)
  }
  let deadline = start + 30
  while monotonicSeconds() < deadline {
    if watch.firstFrame != nil { break }
    usleep(5000)
  }
  guard let firstFrameSeconds = watch.firstFrame else { throw SpawnError.failed("\(argv) (no frame with '\(marker)' in 30 s)", ETIMEDOUT) }
  usleep(1_000_000)  // settle: the first collection is behind us
  let c0 = cpuSeconds(pid: pid) ?? 0, t0 = monotonicSeconds()
  var counter = RefreshCounter()
  counter.sample(cpu: c0, at: t0)
  while monotonicSeconds() < t0 + seconds {
    usleep(10_000)
    if let c = cpuSeconds(pid: pid) { counter.sample(cpu: c, at: monotonicSeconds()) }
  }
  let c1 = cpuSeconds(pid: pid) ?? 0, t1 = monotonicSeconds()
  let rss = peakRSSMiB(pid: pid) ?? .nan
  let redraws = outputBursts(watch.outputTimes, from: t0, to: t1)
  return TUIMeasurement(
    firstFrameSeconds: firstFrameSeconds, cpuPercent: 100 * (c1 - c0) / (t1 - t0), peakRSSMiB: rss,
    refreshes: redraws.count, refreshIntervalSeconds: meanSpacing(redraws), costlyRefreshes: counter.starts.count)
}

/// Reads a pty until told to stop and records when `marker` first appears in its output.
final class FrameWatch: Sendable {
  private struct Seen {
    var stopped = false
    var frameAt: Double?
    var times: [Double] = []
  }
  private let seen = Mutex(Seen())
  private let fd: Int32
  private let needle: [UInt8]
  private let start: Double

  /// When output arrived, after the first frame.
  var outputTimes: [Double] { seen.withLock { $0.times } }

  init(fd: Int32, marker: String, start: Double) {
    self.fd = fd
    self.needle = Array(marker.utf8)
    self.start = start
  }

  var firstFrame: Double? { seen.withLock { $0.frameAt } }

  func finish() { seen.withLock { $0.stopped = true } }

  func drain() {
    var window: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 65536)
    while true {
      if seen.withLock({ $0.stopped }) { return }
      var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
      if poll(&pfd, 1, 100) <= 0 { continue }
      let n = read(fd, &buf, buf.count)
      if n <= 0 { return }
      guard firstFrame == nil else {
        let now = monotonicSeconds()
        seen.withLock { $0.times.append(now) }
        continue
      }
      window.append(contentsOf: buf[0..<n])
      if contains(window) {
        let at = monotonicSeconds() - start
        seen.withLock { $0.frameAt = at }
        window = []
      } else if window.count > needle.count {
        window.removeFirst(window.count - needle.count)
      }
    }
  }

  private func contains(_ hay: [UInt8]) -> Bool {
    guard hay.count >= needle.count else { return false }
    return (0...(hay.count - needle.count)).contains { i in hay[i..<(i + needle.count)].elementsEqual(needle) }
  }
}
