// The TUI's collection thread: collections off the UI thread, one job at a time.
import Dispatch
import KatopModel
import KatopUI
import Synchronization

func processCPUMs() -> UInt64 { Clocks.processCPUMs() }
func monotonicMs() -> UInt64 { Clocks.monotonicMs() }

/// Runs collections on its own thread, one at a time; a job submitted while another waits
/// replaces it. The UI thread and the collection thread share only `state` (behind a mutex): jobs
/// go in, snapshots come out (the UI thread merges them into its store); the thread sleeps on
/// `wake` between jobs. A walk of the whole table comes out in parts while it runs: the thread
/// hands one over (`partReady`) and parses the next while the UI thread merges it; it hands the
/// next over once the UI thread has released the previous (`partDone`), so no whole walk is ever
/// held.
final class CollectionWorker: CollectionService, Sendable {
  private struct State {
    var pending: CollectionJob?
    var output: CollectionOutput?
    var running = false
    var stopped = false
    var started = false
    /// The running job handed a part over (more follow until its output).
    var streaming = false
    var part: (job: CollectionJob, part: WalkPart)?
  }

  private let collect: WalkCollect
  private let state = Mutex(State())
  private let wake = DispatchSemaphore(value: 0)
  private let partReady = DispatchSemaphore(value: 0)
  private let partDone = DispatchSemaphore(value: 0)

  init(collect: @escaping WalkCollect) {
    self.collect = collect
  }

  func start() {
    let first = state.withLock { s in
      defer { s.started = true }
      return !s.started
    }
    guard first else { return }
    Threads.start(name: "katop-collector") { [self] in loop() }
  }

  func stop() {
    state.withLock { $0.stopped = true }
    wake.signal()
    partDone.signal()  // a walk waiting for its part to be merged gives up
  }

  func nextPart(waitMs: Int) -> (job: CollectionJob, part: WalkPart)? {
    let deadline = DispatchTime.now() + .milliseconds(waitMs)
    while true {
      let next: (job: CollectionJob, part: WalkPart)?? = state.withLock { s in
        if let p = s.part {
          s.part = nil
          return .some(p)
        }
        return s.streaming ? nil : .some(nil)  // nil: a part is coming
      }
      if let next { return next }
      if partReady.wait(timeout: deadline) == .timedOut { return nil }
    }
  }

  func partMerged() { partDone.signal() }

  /// On the collection thread: waits until the UI thread merged the previous part, then hands
  /// this one over and goes on with the dump (at most two parts exist at once: the one being
  /// merged and the one being parsed).
  private func handOver(_ part: WalkPart, of job: CollectionJob, outstanding: inout Bool) {
    if outstanding { partDone.wait() }
    let stopped = state.withLock { s in
      if !s.stopped {
        s.part = (job, part)
        s.streaming = true
      }
      return s.stopped
    }
    outstanding = !stopped
    if !stopped { partReady.signal() }
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
      // Whether a part handed over is not merged yet (touched by the collection thread only).
      let outstanding = Mutex(false)
      let result = Result {
        try collect(job.request) { [self] part in outstanding.withLock { handOver(part, of: job, outstanding: &$0) } }
      }
      // The last part is merged before the output is: the next job starts with none outstanding.
      if outstanding.withLock({ $0 }) { partDone.wait() }
      // The cost of a collection: its wall time, or the CPU time all threads spent meanwhile
      // (owner and settings reads run on several), whichever is larger.
      let cost = max(monotonicMs() &- started, processCPUMs() &- startedCPU)
      let finished = CollectionOutput(job: job, result: result, costMs: cost)
      let streamed = state.withLock { s in
        s.output = finished
        s.running = false
        defer { s.streaming = false }
        return s.streaming
      }
      if streamed { partReady.signal() }  // the UI thread waiting for a part: the output is in
    }
  }
}
