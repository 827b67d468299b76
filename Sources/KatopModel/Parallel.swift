// Spreading independent work over the CPUs (docs/performance.md): the owner scan and the
// socket-option reads (~100k cheap syscalls on a busy host, kernel time that two cores halve), and
// in `katop --once` the analysis and the JSON rows. Work items are handed out one by one, biggest
// first by the caller's ordering, so one large item does not leave the other worker idle.

import Dispatch
import Glibc
import Synchronization

public enum Parallel {
  /// Worker threads to use: the online CPUs, at most 4 (the work is syscall-bound per process).
  public static let workerCount: Int = {
    let cpus = sysconf(Int32(_SC_NPROCESSORS_ONLN))
    return max(1, min(4, cpus > 0 ? cpus : 1))
  }()

  /// Calls `body(worker, index)` for the indices 0..<count in order, on up to `workers` threads,
  /// until all are done or a call returns true (stop: indices not yet started are skipped).
  /// `body` must only touch per-index or per-worker state.
  public static func forEach(count: Int, workers: Int = workerCount, _ body: (Int, Int) -> Bool) {
    if count == 0 { return }
    let threads = min(workers, count)
    if threads <= 1 {
      for i in 0..<count where body(0, i) { return }
      return
    }
    let queue = WorkCounter(count: count)
    withoutActuallyEscaping(body) { body in
      // Unchecked: by this function's contract `body` touches only per-index or per-worker state,
      // and concurrentPerform returns before `body` goes out of scope.
      nonisolated(unsafe) let body = body
      DispatchQueue.concurrentPerform(iterations: threads) { worker in
        while let i = queue.take() {
          if body(worker, i) { queue.stop() }
        }
      }
    }
  }
}

/// A shared "next index" counter: hands the indices 0..<count out once each.
final class WorkCounter: Sendable {
  private let next = Atomic<Int>(0)
  private let count: Int

  init(count: Int) { self.count = count }

  /// No index is handed out after this.
  func stop() { next.store(count, ordering: .relaxed) }

  func take() -> Int? {
    let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
    return i < count ? i : nil
  }
}
