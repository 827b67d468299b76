// Running a whole process and measuring it: wall time, CPU time and peak RSS from wait4.
import Foundation
import Glibc
import KatopModel

struct Measurement {
  var wallSeconds: Double
  var cpuSeconds: Double
  var maxRSSKiB: Int
  var status: Int32
}

func monotonicSeconds() -> Double { Clocks.seconds(CLOCK_MONOTONIC) }

enum SpawnError: Error, CustomStringConvertible {
  case failed(String, Int32)
  var description: String {
    switch self {
    case .failed(let what, let err): return "could not start \(what): \(String(cString: strerror(err)))"
    }
  }
}

/// Spawns `argv` with stdin/stdout/stderr on /dev/null (or stdout into `stdoutPath`) and waits.
func measure(_ argv: [String], stdoutPath: String = "/dev/null") throws -> Measurement {
  var actions = posix_spawn_file_actions_t()
  posix_spawn_file_actions_init(&actions)
  defer { posix_spawn_file_actions_destroy(&actions) }
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
  posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
  let start = monotonicSeconds()
  let pid = try spawn(argv, actions: &actions, attr: nil)
  var status: Int32 = 0
  var usage = rusage()
  while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
  let wall = monotonicSeconds() - start
  let cpu =
    Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec)
    + Double(usage.ru_stime.tv_usec) / 1e6
  return Measurement(wallSeconds: wall, cpuSeconds: cpu, maxRSSKiB: usage.ru_maxrss, status: (status >> 8) & 0xFF)
}

func spawn(_ argv: [String], actions: inout posix_spawn_file_actions_t, attr: UnsafePointer<posix_spawnattr_t>?) throws -> pid_t {
  var pid: pid_t = 0
  var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
  defer { for p in cArgs { free(p) } }
  var env = ProcessInfo.processInfo.environment
  env["SWIFT_BACKTRACE"] = "enable=no"
  if env["TERM"] == nil || env["TERM"] == "dumb" { env["TERM"] = "xterm-256color" }
  var cEnv: [UnsafeMutablePointer<CChar>?] = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
  defer { for p in cEnv { free(p) } }
  let rc = posix_spawn(&pid, argv[0], &actions, attr, &cArgs, &cEnv)
  if rc != 0 { throw SpawnError.failed(argv[0], rc) }
  return pid
}

func median(_ xs: [Double]) -> Double {
  let s = xs.sorted()
  if s.isEmpty { return .nan }
  return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

/// Runs a command `runs` times and keeps the medians of wall time and peak RSS.
func measureRuns(_ argv: [String], runs: Int) throws -> (wall: Double, rssMiB: Double, status: Int32) {
  var walls: [Double] = []
  var rss: [Double] = []
  var status: Int32 = 0
  for _ in 0..<runs {
    let m = try measure(argv)
    walls.append(m.wallSeconds)
    rss.append(Double(m.maxRSSKiB) / 1024)
    status = max(status, m.status)
  }
  return (median(walls), rss.max() ?? .nan, status)
}
