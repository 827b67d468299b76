// The TUI's collection thread: collections off the UI thread, one job at a time.
import Foundation
import KatopModel
import KatopUI
import Synchronization

func processCPUMs() -> UInt64 { Clocks.processCPUMs() }
func monotonicMs() -> UInt64 { Clocks.monotonicMs() }

/// Runs collections on its own thread, one at a time; a job submitted while another waits
/// replaces it. The UI thread and the collection thread share only `state` (behind a mutex): jobs
/// go in, snapshots come out (the UI thread merges them into its store); the thread sleeps on
/// `wake` between jobs.
final class CollectionWorker: CollectionService, Sendable {
  private struct State {
    var pending: CollectionJob?
    var output: CollectionOutput?
    var running = false
    var stopped = false
    var started = false
  }

  private let collect: @Sendable (CollectRequest) throws -> Snapshot
  private let state = Mutex(State())
  private let wake = DispatchSemaphore(value: 0)

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

  func submit(_ job: CollectionJob) {
    state.withLock { $0.pending = job }
    wake.signal()
  }

  func take() -> CollectionOutput? {
    state.withLock { s in
      defer { s.output = nil }
      return s.output
    }
  }

  var isBusy: Bool { state.withLock { $0.running || $0.pending != nil } }

  private func loop() {
    while true {
      wake.wait()
      // nil: stop; .some(nil): woken with nothing to do (several signals for one job).
      let next: CollectionJob?? = state.withLock { s in
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
      // The cost of a collection: its wall time, or the CPU time all threads spent meanwhile
      // (owner and settings reads run on several), whichever is larger.
      let cost = max(monotonicMs() &- started, processCPUMs() &- startedCPU)
      let finished = CollectionOutput(job: job, result: result, costMs: cost)
      state.withLock { s in
        s.output = finished
        s.running = false
      }
    }
  }
}
