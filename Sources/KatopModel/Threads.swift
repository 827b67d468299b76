// Long-lived threads of their own (the TUI's collection thread, the destroy listener): a detached
// pthread, so no module needs Foundation's Thread (and libFoundation's resident pages) for it.
import Glibc

public enum Threads {
  /// Starts `body` on a new detached thread named `name` (the kernel keeps the first 15 bytes:
  /// /proc/PID/task/TID/comm). False when the thread could not be created.
  @discardableResult
  public static func start(name: String, _ body: @escaping @Sendable () -> Void) -> Bool {
    let context = Unmanaged.passRetained(ThreadBody(name: name, body: body)).toOpaque()
    var thread = pthread_t()
    let started = pthread_create(&thread, nil, { raw in
      guard let raw else { return nil }
      let job = Unmanaged<ThreadBody>.fromOpaque(raw).takeRetainedValue()
      nameThisThread(job.name)
      job.body()
      return nil
    }, context)
    guard started == 0 else {
      Unmanaged<ThreadBody>.fromOpaque(context).release()
      return false
    }
    pthread_detach(thread)
    return true
  }
}

/// Names the calling thread through /proc/thread-self/comm (pthread_setname_np needs _GNU_SOURCE,
/// which the Glibc module does not define); best effort, the kernel keeps the first 15 bytes.
private func nameThisThread(_ name: String) {
  let fd = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
  guard fd >= 0 else { return }
  let bytes = Array(name.utf8.prefix(15))
  _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
  close(fd)
}

private final class ThreadBody: Sendable {
  let name: String
  let body: @Sendable () -> Void
  init(name: String, body: @escaping @Sendable () -> Void) {
    self.name = name
    self.body = body
  }
}
