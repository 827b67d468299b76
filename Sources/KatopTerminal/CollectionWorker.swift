// The TUI's collection thread: collections off the UI thread, one job at a time.
import Foundation
import KatopModel
import Synchronization

func processCPUMs() -> UInt64 { Clocks.processCPUMs() }
func threadCPUMs() -> UInt64 { Clocks.threadCPUMs() }
func monotonicMs() -> UInt64 { Clocks.monotonicMs() }

/// Runs collections on its own thread, one at a time; a job submitted while another waits
/// replaces it. The UI thread and the collection thread share only `state` (behind a mutex): jobs
/// go in, snapshots come out (the UI thread merges them into its store); the thread sleeps on
/// `wake` between jobs.
final class CollectionWorker: Sendable {
  struct Job: Sendable {
    var request: CollectRequest
    var generation: Int
    /// A cold collection (empty caches): its duration is not a refresh's cost.
    var cold = false
  }
  struct Output: Sendable {
    var generation: Int
    /// What was asked for (whether owners and settings were read).
    var request: CollectRequest
    var result: Result<Snapshot, any Error>
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
  private let state = Mutex(State())
  private let wake = DispatchSemaphore(value: 0)

  /// What the last finished (not cold) job cost in ms: wall time or process CPU time, the larger.
  var lastDurationMs: UInt64 { state.withLock { $0.lastDuration } }

  init(collect: @escaping @Sendable (CollectRequest) throws -> Snapshot) {
    self.collect = collect
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

  func submit(request: CollectRequest, generation: Int, cold: Bool = false) {
    state.withLock { s in
      s.pending = Job(request: request, generation: max(generation, s.pending?.generation ?? generation), cold: cold)
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

  private func loop() {
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
      let result = Result { try collect(job.request) }
      let finished = Output(generation: job.generation, request: job.request, result: result)
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
