// `katop log`: runs without a terminal and writes one JSON line per event (docs/log.md): a
// connection closed (sock_diag's destroy multicast, joined by cookie to a store fed by a dump
// every --interval, classified), and with --risk-changes a connection that became risky. To
// stdout or --output FILE (appended; reopened on SIGHUP for logrotate). A systemd unit:
// docs/katop-log.service.
import ArgumentParser
import Glibc
import KatopModel
import SockDiag
import Synchronization

struct LogCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "log",
    abstract: "Write one JSON line per connection that closed, with why (and, with --risk-changes, per connection that became risky).",
    discussion: "Listens to sock_diag's destroy messages (no capability needed; root reads owners and settings of every socket) "
      + "and dumps the sockets every --interval seconds (default 1) to know their owners, settings and risks. katop's --port, "
      + "--profile, --path and --idle-timeout apply. SIGHUP reopens --output (logrotate). "
      + "Example: katop log --output /var/log/katop/closed.jsonl --risk-changes (docs/log.md).")

  @Option(help: ArgumentHelp("Append the lines to this file instead of standard output; reopened on SIGHUP.", valueName: "file"))
  var output: String?

  @Flag(name: .customLong("risk-changes"), help: "Also log a connection whose risks appear or get worse.")
  var riskChanges = false

  @Option(help: ArgumentHelp("Stop after this many events (default: run until stopped).", valueName: "n"))
  var count: Int?

  @ParentCommand var root: Katop

  func validate() throws {
    if let count, count < 1 { throw ValidationError("--count must be at least 1") }
    if let output, output.isEmpty { throw ValidationError("--output needs a file name") }
  }

  func run() throws {
    var settings = root
    _ = try settings.applyConfig(ConfigFile.load(paths: ConfigFile.searchPaths()))
    let interval = UInt64(root.interval ?? 1000)
    let sink = try LogSink(path: output)
    // Listening first: a connection that dies during the first dump is still heard.
    let listener = try DestroyListener()
    let journal = KillJournal()
    let collector = Collector(source: settings.source)
    let resolution = settings.profileResolution
    var store = ConnectionStore(profile: resolution.profile, lingerMs: max(10_000, 3 * interval))
    store.flow = settings.reportContext(resolution, activity: nil).flow
    var risks = RiskChanges()
    let ports = Set(settings.ports)
    var written = 0
    var nextDump: UInt64 = 0
    func emit(_ line: String) throws {
      try sink.write(line)
      written += 1
    }
    while count.map({ written < $0 }) ?? true {
      var now = Clocks.monotonicMs()
      if now >= nextDump {
        let snapshot = try collector.collect(settings.request)
        let baseline = store.completeAtMs == nil
        store.merge(snapshot, coverage: .complete, nowMs: snapshot.takenAtMs)
        if riskChanges {
          for c in risks.worsened(store, baseline: baseline) where count.map({ written < $0 }) ?? true {
            try emit(ClosedReport.riskyLine(c, time: LogSink.timestamp()))
          }
        }
        now = Clocks.monotonicMs()
        nextDump = now + interval
      }
      let batch = listener.receive(timeoutMs: Int32(clamping: nextDump - min(now, nextDump)))
      for death in batch.deaths where ports.isEmpty || ports.contains(death.record.local.port) || ports.contains(death.record.remote.port) {
        guard count.map({ written < $0 }) ?? true else { break }
        let closed = store.closedConnection(for: death, kill: journal.kill(of: death.record.cookie), counters: batch.counters)
        try emit(ClosedReport.jsonLine(closed, time: LogSink.timestamp()))
      }
      sink.reopenIfAsked()
    }
  }
}

/// The worst severity each open connection had at the previous dump, to log only changes.
struct RiskChanges {
  private var worst: [UInt64: Severity] = [:]

  /// Open rows whose worst severity rose since the previous dump (none for the first one).
  mutating func worsened(_ store: ConnectionStore, baseline: Bool) -> [Connection] {
    var next: [UInt64: Severity] = [:]
    var out: [Connection] = []
    for row in store.rows where !row.vacant && !row.isClosed {
      guard let severity = row.connection.worstSeverity else { continue }
      next[row.key] = severity
      if !baseline, worst[row.key].map({ severity > $0 }) ?? true { out.append(row.connection) }
    }
    worst = next
    return out
  }
}

/// Where the lines go: stdout, or a file opened for appending and reopened after SIGHUP.
final class LogSink {
  let path: String?
  private var fd: Int32

  init(path: String?) throws {
    self.path = path
    fd = STDOUT_FILENO
    if let path {
      fd = try LogSink.open(path)
      signal(SIGHUP) { _ in hangupSeen.store(true, ordering: .relaxed) }
    }
  }

  deinit { if path != nil { close(fd) } }

  static func open(_ path: String) throws -> Int32 {
    let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
    guard fd >= 0 else { throw ExportError(path: path, errno: errno) }
    return fd
  }

  /// One line, newline added, in one write(2) (O_APPEND: whole lines even with other writers).
  func write(_ line: String) throws {
    guard path != nil else { return try StandardOutput.write(line) }
    let bytes = Array((line + "\n").utf8)
    var done = 0
    while done < bytes.count {
      let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, $0.count - done) }
      if n < 0 {
        if errno == EINTR { continue }
        throw ExportError(path: path ?? "", errno: errno)
      }
      done += n
    }
  }

  /// After SIGHUP: the file is opened again by name (logrotate moved the old one away).
  func reopenIfAsked() {
    guard let path, hangupSeen.exchange(false, ordering: .relaxed) else { return }
    if let fresh = try? LogSink.open(path) {
      close(fd)
      fd = fresh
    }
  }

  /// RFC 3339 UTC with milliseconds: 2026-12-03T05:40:12.345Z.
  static func timestamp() -> String {
    var tv = timeval()
    gettimeofday(&tv, nil)
    var seconds = tv.tv_sec
    var parts = tm()
    gmtime_r(&seconds, &parts)
    func pad(_ v: Int32, _ width: Int) -> String {
      let s = String(v)
      return String(repeating: "0", count: max(0, width - s.count)) + s
    }
    return "\(parts.tm_year + 1900)-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T\(pad(parts.tm_hour, 2)):"
      + "\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(tv.tv_usec / 1000), 3))Z"
  }
}

/// Set by the SIGHUP handler, read by the loop (the poll in DestroyListener returns on EINTR).
let hangupSeen = Atomic<Bool>(false)
