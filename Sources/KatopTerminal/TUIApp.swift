// The interactive run loop. The main thread owns AppState and is the only one drawing; a worker
// thread collects and analyses, so keys stay responsive during a slow refresh.
import CNcursesw
import Foundation
import KatopModel
import KatopUI

public struct TUIConfig {
  public var ports: [UInt16]
  public var textFilter: String
  public var riskyOnly: Bool
  public var states: Set<TCPState>
  public var sort: KatopModel.SortOrder
  public var intervalMs: Int
  public var profile: MiddleboxProfile
  public var theme: Theme
  public var noColor: Bool
  /// nil: decide from the locale (UTF-8 glyphs when the codeset is UTF-8).
  public var ascii: Bool?
  /// Collector options other than ports (owners, socket options ...).
  public var request: CollectRequest

  public init(
    ports: [UInt16] = [], textFilter: String = "", riskyOnly: Bool = false, states: Set<TCPState> = [],
    sort: KatopModel.SortOrder = KatopModel.SortOrder(), intervalMs: Int = 1000, profile: MiddleboxProfile = .aws,
    theme: Theme = .builtinDefault, noColor: Bool = false, ascii: Bool? = nil, request: CollectRequest = CollectRequest()
  ) {
    self.ports = ports
    self.textFilter = textFilter
    self.riskyOnly = riskyOnly
    self.states = states
    self.sort = sort
    self.intervalMs = intervalMs
    self.profile = profile
    self.theme = theme
    self.noColor = noColor
    self.ascii = ascii
    self.request = request
  }
}

public final class TUIApp {
  /// Refreshes are spaced at least this many times the last refresh's duration.
  static let refreshCostFactor: UInt64 = 7
  let config: TUIConfig
  let worker: CollectionWorker

  public init(
    config: TUIConfig, collect: @escaping (CollectRequest) throws -> Snapshot,
    analyze: @escaping (inout Snapshot, MiddleboxProfile) -> [Connection]
  ) {
    self.config = config
    self.worker = CollectionWorker(collect: collect, analyze: analyze)
  }

  /// Runs until q / F10 (returns 0) or SIGINT / SIGTERM / SIGHUP (returns 128 + signal). Throws
  /// before touching the screen when there is no usable terminal. The terminal is always restored.
  public func run() throws -> Int32 {
    let terminal = try Terminal(theme: config.theme, noColor: config.noColor)
    katop_install_signal_handlers()
    defer {
      terminal.close()
      katop_restore_signal_handlers()
      worker.stop()
    }
    let renderer = Renderer(ascii: config.ascii ?? !terminal.utf8)
    var state = AppState(
      filter: ConnectionFilter(ports: config.ports, states: config.states, riskyOnly: config.riskyOnly, text: config.textFilter),
      sort: config.sort, profile: config.profile, intervalMs: config.intervalMs, baseRequest: config.request)
    worker.start()

    var generation = 0
    var lastCollectStart = monotonicMs()
    var mainCPUAtOutput = threadCPUMs()
    var uiCostMs: UInt64 = 0
    // First frame fast: the first collection skips the owner scan and socket settings (a cold
    // scan of 100k fds takes ~1-2 s); the full collection follows at once (docs/performance.md).
    var quickFirst = state.collectRequest
    var fullPending = quickFirst.owners || quickFirst.socketOptions
    quickFirst.owners = false
    quickFirst.socketOptions = false
    worker.submit(request: quickFirst, profile: state.profile, sort: state.sort, generation: generation)
    var dirty = true
    var buffer = ScreenBuffer(width: 0, height: 0)

    while true {
      let signal = katop_pending_quit_signal()
      if signal != 0 { return 128 + signal }
      if katop_take_continued() != 0 {
        terminal.invalidate()
        dirty = true
      }
      let now = monotonicMs()
      if let output = worker.take(), output.generation == generation {
        // The UI thread's share of a refresh (apply, redraw, the idle loop in between) counts
        // towards its cost too: the previous cycle's, measured on this thread's CPU clock.
        let mainCPU = threadCPUMs()
        uiCostMs = mainCPU &- mainCPUAtOutput
        mainCPUAtOutput = mainCPU
        switch output.result {
        case .success(let (system, connections)):
          state.apply(connections: connections, system: system, now: now, sortedBy: output.sortedBy)
        case .failure(let error):
          state.collectError = "\(error)"
        }
        dirty = true
        if fullPending {
          fullPending = false
          // Cold: the first owner scan and settings read cost several times a steady refresh;
          // their duration must not space the following refreshes (docs/performance.md).
          worker.submit(
            request: state.collectRequest, profile: state.profile, sort: state.sort, generation: generation, cold: true)
          lastCollectStart = now
        }
      }
      let busy = worker.isBusy
      // On huge hosts a refresh costs a lot of CPU (100k sockets: ~0.25 s of dump, analysis,
      // sort, diff and redraw): the next one waits at least `refreshCostFactor` times the last
      // one's cost (worker + UI thread), so katop stays under ~15 % of a core whatever the
      // interval (docs/performance.md).
      let lastDurationMs = worker.lastDurationMs &+ uiCostMs
      let effectiveIntervalMs = max(UInt64(state.intervalMs), lastDurationMs &* TUIApp.refreshCostFactor)
      // The header says so whenever the spacing is wider than the configured interval.
      let slow: SlowRefresh? =
        effectiveIntervalMs > UInt64(state.intervalMs)
        ? SlowRefresh(effectiveIntervalMs: Int(clamping: effectiveIntervalMs), refreshMs: Int(clamping: lastDurationMs)) : nil
      if slow != state.slowRefresh {
        state.slowRefresh = slow
        dirty = true
      }
      if !busy && !state.paused && now &- lastCollectStart >= effectiveIntervalMs {
        worker.submit(request: state.collectRequest, profile: state.profile, sort: state.sort, generation: generation)
        lastCollectStart = now
      }
      let showRefreshing = busy && now &- lastCollectStart > 500
      if showRefreshing != state.refreshing {
        state.refreshing = showRefreshing
        dirty = true
      }
      if state.tick(now: now) { dirty = true }

      let (w, h) = terminal.size
      if w != buffer.width || h != buffer.height {
        buffer = ScreenBuffer(width: w, height: h)
        dirty = true
      }
      state.setScreenSize(width: w, height: h)
      if dirty {
        renderer.render(state, into: &buffer)
        terminal.draw(buffer)
        dirty = false
      }

      // Handle a burst of keys (typing, key repeat) before drawing again.
      var timeout: Int32 = 100
      while let key = terminal.readKey(timeoutMs: timeout) {
        timeout = 0
        dirty = true
        if key == .resize { continue }
        let effect = state.handle(key)
        state.pageScroll = min(state.pageScroll, renderer.maxPageScroll(state, width: w, height: h))
        switch effect {
        case .none:
          break
        case .quit:
          return 0
        case .recollect(let request):
          generation += 1
          worker.submit(request: request, profile: state.profile, sort: state.sort, generation: generation)
          lastCollectStart = monotonicMs()
        case .reanalyze(let profile):
          worker.submit(request: nil, profile: profile, sort: state.sort, generation: generation)
        }
      }
    }
  }
}

/// CPU time of the whole process (all threads), in ms.
func processCPUMs() -> UInt64 {
  var ts = timespec()
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
  return UInt64(ts.tv_sec) * 1000 + UInt64(ts.tv_nsec) / 1_000_000
}

/// CPU time of the calling thread, in ms.
func threadCPUMs() -> UInt64 {
  var ts = timespec()
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
  return UInt64(ts.tv_sec) * 1000 + UInt64(ts.tv_nsec) / 1_000_000
}

func monotonicMs() -> UInt64 {
  var ts = timespec()
  clock_gettime(CLOCK_MONOTONIC, &ts)
  return UInt64(ts.tv_sec) * 1000 + UInt64(ts.tv_nsec) / 1_000_000
}

/// Runs collect + analyse jobs on its own thread. One job runs at a time; a job submitted while
/// another waits replaces it (keeping a pending collection when the new job only re-analyses).
final class CollectionWorker: @unchecked Sendable {
  struct Job {
    /// nil: re-analyse the last snapshot with a new profile.
    var request: CollectRequest?
    var profile: MiddleboxProfile
    /// Rows are sorted here, off the UI thread, in the order the UI had when it asked.
    var sort: KatopModel.SortOrder
    var generation: Int
    /// A cold collection (empty caches): its duration is not a refresh's cost.
    var cold = false
  }
  struct Output {
    var generation: Int
    var sortedBy: KatopModel.SortOrder
    var result: Result<(SystemInfo, [Connection]), Error>
  }

  private let collect: (CollectRequest) throws -> Snapshot
  /// Takes the snapshot inout so it can free the records while building rows
  /// (`Analyzer.analyze(releasing:profile:)`).
  private let analyze: (inout Snapshot, MiddleboxProfile) -> [Connection]
  private let condition = NSCondition()
  private var pending: Job?
  private var output: Output?
  private var running = false
  private var stopped = false
  private var started = false
  /// Touched only by the worker thread.
  private var lastConnections: [Connection]?
  private var lastSystem: SystemInfo?
  private var lastDuration: UInt64 = 0

  /// What the last finished (not cold) job cost in ms: wall time or process CPU time, the larger.
  var lastDurationMs: UInt64 {
    condition.lock()
    defer { condition.unlock() }
    return lastDuration
  }

  init(
    collect: @escaping (CollectRequest) throws -> Snapshot, analyze: @escaping (inout Snapshot, MiddleboxProfile) -> [Connection]
  ) {
    self.collect = collect
    self.analyze = analyze
  }

  func start() {
    condition.lock()
    defer { condition.unlock() }
    guard !started else { return }
    started = true
    let thread = Thread { [self] in loop() }
    thread.name = "katop-collector"
    thread.start()
  }

  func stop() {
    condition.lock()
    stopped = true
    condition.signal()
    condition.unlock()
  }

  func submit(
    request: CollectRequest?, profile: MiddleboxProfile, sort: KatopModel.SortOrder, generation: Int, cold: Bool = false
  ) {
    condition.lock()
    let keep = request ?? pending?.request
    pending = Job(
      request: keep, profile: profile, sort: sort, generation: max(generation, pending?.generation ?? generation),
      cold: cold || (request == nil && pending?.cold == true))
    condition.signal()
    condition.unlock()
  }

  /// The newest finished result, once.
  func take() -> Output? {
    condition.lock()
    defer { condition.unlock() }
    let o = output
    output = nil
    return o
  }

  /// True while a job runs or waits.
  var isBusy: Bool {
    condition.lock()
    defer { condition.unlock() }
    return running || pending != nil
  }

  /// The snapshot lives only in here: its records and owner / settings tables are freed before
  /// the rows are sorted and handed over (docs/performance.md, round 4).
  private func collectAndAnalyze(_ request: CollectRequest, profile: MiddleboxProfile) throws -> (SystemInfo, [Connection]) {
    var snapshot = try collect(request)
    let system = snapshot.system
    return (system, analyze(&snapshot, profile))
  }

  private func loop() {
    while true {
      condition.lock()
      while pending == nil && !stopped { condition.wait() }
      guard !stopped, let job = pending else {
        condition.unlock()
        return
      }
      pending = nil
      running = true
      condition.unlock()

      let started = monotonicMs()
      let startedCPU = processCPUMs()
      let result: Result<(SystemInfo, [Connection]), Error>
      do {
        var connections: [Connection]
        let system: SystemInfo
        if job.request == nil, let last = lastConnections, let lastSystem {
          // A new profile changes only the risks: no raw snapshot is kept for this (its 100k
          // records would stay alive next to the rows, docs/performance.md).
          connections = Analyzer.reevaluate(last, profile: job.profile, system: lastSystem)
          system = lastSystem
        } else {
          lastConnections = nil
          (system, connections) = try collectAndAnalyze(job.request ?? CollectRequest(), profile: job.profile)
        }
        job.sort.sort(&connections)
        lastConnections = connections
        lastSystem = system
        result = .success((system, connections))
      } catch {
        result = .failure(error)
      }

      condition.lock()
      output = Output(generation: job.generation, sortedBy: job.sort, result: result)
      // The cost of a refresh: its wall time, or the CPU time all threads spent meanwhile (owner
      // and settings reads run on several), whichever is larger.
      if !job.cold { lastDuration = max(monotonicMs() &- started, processCPUMs() &- startedCPU) }
      running = false
      condition.unlock()
    }
  }
}
