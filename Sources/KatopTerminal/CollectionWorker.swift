// The TUI's collection thread: collect, analyse and sort off the UI thread, one job at a time.
import Foundation
import KatopModel

func processCPUMs() -> UInt64 { Clocks.processCPUMs() }
func threadCPUMs() -> UInt64 { Clocks.threadCPUMs() }
func monotonicMs() -> UInt64 { Clocks.monotonicMs() }

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
