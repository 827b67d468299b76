// The TUI's K / F9 / U, carried out by the executable: the same refusals, executor and syslog
// lines as `katop set-keepalive` / `katop kill`.
import KatopModel
import SockDiag
import Synchronization

/// Cookies whose cached settings the collector must drop before its next collection: handed
/// from the UI thread (which acts) to the collection thread (which owns the collector).
final class ChangedSockets: Sendable {
  private let cookies = Mutex<[UInt64]>([])

  func add(_ more: [UInt64]) { cookies.withLock { $0 += more } }

  func take() -> [UInt64] {
    cookies.withLock { list in
      defer { list.removeAll() }
      return list
    }
  }
}

enum TUIActions {
  /// Carries out a confirmed plan; a missing capability or ptrace right fails every socket
  /// with the one line that names it.
  static func act(_ plan: ActionPlan, log: ActionLog, changed: ChangedSockets) -> [ActionResult] {
    if let why = ActionExecutor.refusal(for: plan, permissions: ActionPermissions.current()) {
      return plan.items.map { ActionResult(item: $0, outcome: .failed(reason: why, before: nil)) }
    }
    let results = ActionExecutor.execute(plan, log: log)
    changed.add(results.filter { $0.outcome.succeeded }.map { $0.item.connection.record.cookie })
    return results
  }
}

extension ActionExecutor {
  /// Why `plan` may not run with `permissions` (one line), or nil.
  static func refusal(for plan: ActionPlan, permissions: ActionPermissions) -> String? {
    switch plan.kind {
    case .kill: return permissions.refusalToKill
    case .setKeepalive:
      var uids: [Int32: UInt32] = [:]
      for item in plan.items { if let o = item.connection.owner { uids[o.pid] = o.uid } }
      return permissions.refusalToSetKeepalive(ownerUIDs: uids)
    }
  }
}
