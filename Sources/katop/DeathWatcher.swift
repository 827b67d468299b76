// The TUI's destroy listener: a thread of its own waits on sock_diag's destroy multicast, looks
// each cookie up in katop's kill journal, and queues the deaths for the UI thread, which joins
// them to its store (the Closed view, L). The queue is bounded: a storm of closes between two
// UI turns keeps the newest.
import KatopModel
import SockDiag
import Synchronization

final class DeathWatcher: Sendable {
  static let queueLimit = 20_000
  private let queue = Mutex<[HeardDeath]>([])
  private let stopped = Atomic<Bool>(false)

  /// Starts listening; nil when the destroy multicast cannot be joined (no netlink).
  static func start() -> DeathWatcher? {
    guard let listener = try? DestroyListener() else { return nil }
    let watcher = DeathWatcher()
    let box = ListenerBox(listener: listener)
    Threads.start(name: "katop-destroy-listener") { watcher.run(box) }
    return watcher
  }

  private func run(_ box: ListenerBox) {
    let journal = KillJournal()
    while !stopped.load(ordering: .relaxed) {
      let batch = box.listener.receive(timeoutMs: 500)
      guard !batch.deaths.isEmpty else { continue }
      let heard = batch.deaths.map {
        HeardDeath(death: $0, kill: journal.kill(of: $0.record.cookie), counters: batch.counters)
      }
      queue.withLock { q in
        q += heard
        if q.count > DeathWatcher.queueLimit { q.removeFirst(q.count - DeathWatcher.queueLimit) }
      }
    }
  }

  /// The deaths heard since the last call, oldest first.
  func take() -> [HeardDeath] {
    queue.withLock { q in
      defer { q.removeAll(keepingCapacity: true) }
      return q
    }
  }

  func stop() { stopped.store(true, ordering: .relaxed) }
}

/// Hands the listener to its thread, which alone uses it from then on (the reason it may cross:
/// the starting thread drops its reference right away).
private final class ListenerBox: @unchecked Sendable {
  let listener: DestroyListener
  init(listener: DestroyListener) { self.listener = listener }
}
