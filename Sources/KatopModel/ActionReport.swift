// Texts for the results of set-keepalive / kill: one line per socket (stdout and syslog) and the
// `--json` document (docs/actions.md).

public enum ActionReport {
  /// `127.0.0.1:41234 -> 127.0.0.1:5000 ESTABLISHED pid 811 (php-fpm) fd 7`.
  public static func socketText(_ c: Connection) -> String {
    var text = "\(Format.endpoint(c.record.local)) -> \(Format.endpoint(c.record.remote)) \(c.record.state.kernelName)"
    if let o = c.owner { text += " pid \(o.pid) (\(o.command)) fd \(o.fd)" }
    return text
  }

  /// `on 60/10/4 user-timeout 0ms`, `off 7200/75/9 user-timeout 0ms`.
  public static func optionsText(_ o: SocketOptions) -> String {
    "\(o.keepalive ? "on" : "off") \(o.idleSeconds)/\(o.intervalSeconds)/\(o.probes) user-timeout \(o.userTimeoutMs)ms"
  }

  /// What happened to one socket, after its description: `keepalive off 7200/75/9 ... -> on
  /// 60/10/4 ...`, `ended (SOCK_DESTROY)`, `not changed: process gone`.
  public static func outcomeText(_ result: ActionResult) -> String {
    switch result.outcome {
    case .planned:
      if let change = result.item.change { return "would set keepalive \(change.shortText)" }
      return "would end"
    case .keepaliveSet(let before, let after):
      return "keepalive \(optionsText(before)) -> \(optionsText(after))"
    case .ended(let method): return "ended (\(method.rawValue))"
    case .alreadyGone: return "already gone (nothing to end)"
    case .failed(let reason, _): return "not changed: \(reason)"
    }
  }

  public static func line(_ result: ActionResult) -> String {
    "\(socketText(result.item.connection)): \(outcomeText(result))"
  }

  /// The syslog message (without the `katop[pid]: ` tag syslog adds): `set-keepalive by uid 0
  /// (root): 127.0.0.1:41234 -> 127.0.0.1:5000 ESTABLISHED pid 811 (php-fpm) fd 7: keepalive
  /// off 7200/75/9 user-timeout 0ms -> on 60/10/4 user-timeout 0ms`.
  public static func syslogMessage(kind: ActionKind, uid: UInt32, user: String?, _ result: ActionResult) -> String {
    "\(kind.rawValue) by uid \(uid)\(user.map { " (\($0))" } ?? ""): \(line(result))"
  }

  /// Counts for the closing line and the exit status.
  public static func counts(_ results: [ActionResult]) -> (succeeded: Int, failed: Int) {
    let ok = results.filter { $0.outcome.succeeded }.count
    return (ok, results.count - ok)
  }

  /// `{"action": "set-keepalive", "dryRun": false, "selected": 2, "succeeded": 2, "failed": 0,
  /// "results": [{...}, ...]}`, one result per socket with its before / after values.
  public static func json(kind: ActionKind, dryRun: Bool, results: [ActionResult]) -> String {
    let w = JSONWriter(capacity: 512 + results.count * 512)
    let (ok, failed) = counts(results)
    w.beginObject()
    w.key("action")
    w.string(kind.rawValue)
    w.key("dryRun")
    w.bool(dryRun)
    w.key("selected")
    w.int(results.count)
    w.key("succeeded")
    w.int(dryRun ? 0 : ok)
    w.key("failed")
    w.int(dryRun ? 0 : failed)
    w.key("results")
    w.beginArray()
    for r in results { writeResult(w, r) }
    w.endArray()
    w.endObject()
    w.newline()
    return w.string
  }

  static func writeResult(_ w: JSONWriter, _ r: ActionResult) {
    let c = r.item.connection
    w.beginObject()
    w.key("cookie")
    w.decimalString(c.record.cookie)
    w.key("local")
    JSONReport.writeEndpoint(w, c.record.local)
    w.key("remote")
    JSONReport.writeEndpoint(w, c.record.remote)
    w.key("state")
    w.string(c.record.state.kernelName)
    w.key("pid")
    w.int(c.owner.map { Int($0.pid) })
    w.key("command")
    w.string(c.owner?.command)
    w.key("fd")
    w.int(c.owner.map { Int($0.fd) })
    w.key("status")
    w.string(r.outcome.status)
    if let change = r.item.change {
      w.key("requested")
      writeChange(w, change)
    }
    switch r.outcome {
    case .keepaliveSet(let before, let after):
      w.key("before")
      writeOptions(w, before)
      w.key("after")
      writeOptions(w, after)
    case .ended(let method):
      w.key("method")
      w.string(method.rawValue)
    case .failed(let reason, let before):
      if let before {
        w.key("before")
        writeOptions(w, before)
      }
      w.key("error")
      w.string(reason)
    case .planned, .alreadyGone: break
    }
    w.endObject()
  }

  static func writeOptions(_ w: JSONWriter, _ o: SocketOptions) {
    writeValues(w, o.keepalive, o.idleSeconds, o.intervalSeconds, o.probes, o.userTimeoutMs)
  }

  static func writeChange(_ w: JSONWriter, _ c: KeepaliveChange) {
    writeValues(w, c.enabled, c.idleSeconds, c.intervalSeconds, c.probes, c.userTimeoutMs)
  }

  /// `{"enabled", "idleSeconds", "intervalSeconds", "probes", "userTimeoutMs"}` as in docs/json.md.
  static func writeValues(_ w: JSONWriter, _ enabled: Bool, _ idle: Int, _ interval: Int, _ probes: Int, _ userTimeoutMs: Int?) {
    w.beginObject()
    w.key("enabled")
    w.bool(enabled)
    w.key("idleSeconds")
    w.int(idle)
    w.key("intervalSeconds")
    w.int(interval)
    w.key("probes")
    w.int(probes)
    w.key("userTimeoutMs")
    w.int(userTimeoutMs)
    w.endObject()
  }
}
