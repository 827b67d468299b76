// The TUI's collection thread: collect, analyse and sort off the UI thread, one job at a time.
import Foundation
import KatopModel
import Synchronization

func processCPUMs() -> UInt64 { Clocks.processCPUMs() }
func threadCPUMs() -> UInt64 { Clocks.threadCPUMs() }
func monotonicMs() -> UInt64 { Clocks.monotonicMs() }

/// Runs collect + analyse jobs on its own thread. One job runs at a time; a job submitted while
/// another waits replaces it (keeping a pending collection when the new job only re-analyses).
/// The UI thread and the collection thread share only `state` (behind a mutex); the thread
/// sleeps on `wake` between jobs.
final class CollectionWorker: Sendable {
  struct Job: Sendable {
    /// nil: re-analyse the last snapshot with a new profile.
    var request: CollectRequest?
    var profile: MiddleboxProfile
    /// Rows are sorted here, off the UI thread, in the order the UI had when it asked.
    var sort: KatopModel.SortOrder
    var generation: Int
    /// A cold collection (empty caches): its duration is not a refresh's cost.
    var cold = false
  }
  struct Output: Sendable {
    var generation: Int
    var sortedBy: KatopModel.SortOrder
    var result: Result<(SystemInfo, [Connection]), any Error>
  }
  private struct State {
    var pending: Job?
    var output: Output?
    var running = false
    var stopped = false
    var started = false
    var lastDuration: UInt64 = 0
  }

  private let collect: @Sendable (CollectRequest) throws -> Snapshot
  /// Takes the snapshot inout so it can free the records while building rows
  /// (`Analyzer.analyze(releasing:profile:)`).
  private let analyze: @Sendable (inout Snapshot, MiddleboxProfile) -> [Connection]
  private let state = Mutex(State())
  private let wake = DispatchSemaphore(value: 0)

  /// What the last finished (not cold) job cost in ms: wall time or process CPU time, the larger.
  var lastDurationMs: UInt64 { state.withLock { $0.lastDuration } }

  init(
    collect: @escaping @Sendable (CollectRequest) throws -> Snapshot,
    analyze: @escaping @Sendable (inout Snapshot, MiddleboxProfile) -> [Connection]
  ) {
    self.collect = collect
    self.analyze = analyze
  }

  func start() {
    let first = state.withLock { s in
      defer { s.started = true }
      return !s.started
    }
    guard first else { return }
    let thread = Thread { [self] in loop() }
    thread.name = "katop-collector"
    thread.start()
  }

  func stop() {
    state.withLock { $0.stopped = true }
    wake.signal()
  }

  func submit(
    request: CollectRequest?, profile: MiddleboxProfile, sort: KatopModel.SortOrder, generation: Int, cold: Bool = false
  ) {
    state.withLock { s in
      let keep = request ?? s.pending?.request
      s.pending = Job(
        request: keep, profile: profile, sort: sort, generation: max(generation, s.pending?.generation ?? generation),
        cold: cold || (request == nil && s.pending?.cold == true))
    }
    wake.signal()
  }

  /// The newest finished result, once.
  func take() -> Output? {
    state.withLock { s in
      defer { s.output = nil }
      return s.output
    }
  }

  /// True while a job runs or waits.
  var isBusy: Bool { state.withLock { $0.running || $0.pending != nil } }

  /// The snapshot lives only in here: its records and owner / settings tables are freed before
  /// the rows are sorted and handed over (docs/performance.md).
  private func collectAndAnalyze(_ request: CollectRequest, profile: MiddleboxProfile) throws -> (SystemInfo, [Connection]) {
    var snapshot = try collect(request)
    let system = snapshot.system
    return (system, analyze(&snapshot, profile))
  }

  private func loop() {
    // Touched only by this thread.
    var lastConnections: [Connection]?
    var lastSystem: SystemInfo?
    while true {
      wake.wait()
      // nil: stop; .some(nil): woken with nothing to do (several signals for one job).
      let next: Job?? = state.withLock { s in
        if s.stopped { return nil }
        guard let job = s.pending else { return .some(nil) }
        s.pending = nil
        s.running = true
        return job
      }
      guard let wrapped = next else { return }
      guard let job = wrapped else { continue }

      let started = monotonicMs()
      let startedCPU = processCPUMs()
      let result: Result<(SystemInfo, [Connection]), any Error>
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

      let finished = Output(generation: job.generation, sortedBy: job.sort, result: result)
      state.withLock { s in
        s.output = finished
        // The cost of a refresh: its wall time, or the CPU time all threads spent meanwhile (owner
        // and settings reads run on several), whichever is larger.
        if !job.cold { s.lastDuration = max(monotonicMs() &- started, processCPUMs() &- startedCPU) }
        s.running = false
      }
    }
  }
}
