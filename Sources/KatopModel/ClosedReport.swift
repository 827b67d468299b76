// `katop log`'s events as JSON lines (docs/log.md): one object per connection closed (and, with
// --risk-changes, per connection that became risky), written by the streaming JSONWriter.

public enum ClosedReport {
  /// `{"event":"closed",...}` without a trailing newline. `time`: the wall-clock time (RFC 3339).
  public static func jsonLine(_ c: ClosedConnection, time: String) -> String {
    let w = JSONWriter(capacity: 1024)
    w.beginObject()
    w.key("event"); w.string("closed")
    w.key("time"); w.string(time)
    endpoints(w, cookie: c.cookie, family: c.family, local: c.local, remote: c.remote)
    w.key("cause"); w.string(c.cause.rawValue)
    w.key("evidence"); w.string(c.evidence)
    w.key("summary"); w.string(c.summary)
    owner(w, c.owner)
    w.key("known"); w.bool(c.known)
    w.key("lastState")
    w.string(c.lastState?.kernelName)
    w.key("lifetimeMs"); w.int(c.lifetimeMs)
    w.key("lifetimeAtLeast"); w.bool(c.lifetimeAtLeast)
    w.key("idleMs"); w.int(c.idleMs)
    w.key("budget")
    w.beginObject()
    w.key("seconds"); w.int(c.budgetSeconds)
    w.key("name")
    w.string(c.budgetName)
    w.key("source")
    w.string(c.budgetSource?.rawValue)
    w.endObject()
    w.key("keepalive")
    if let ka = c.keepalive { JSONReport.writeKeepalive(w, ka) } else { w.null() }
    w.key("risks")
    w.beginArray()
    for r in c.risks { w.string(r.rawValue) }
    w.endArray()
    w.key("tcpInfo")
    w.beginObject()
    w.key("probes"); w.int(c.probes)
    w.key("retransmits"); w.int(c.retransmits)
    w.key("bytesAcked"); w.int(c.bytesAcked)
    w.key("bytesReceived"); w.int(c.bytesReceived)
    w.endObject()
    w.endObject()
    return w.string
  }

  /// `{"event":"risky",...}`: a connection whose risks went from none to some (or got worse).
  public static func riskyLine(_ c: Connection, time: String) -> String {
    let w = JSONWriter(capacity: 512)
    w.beginObject()
    w.key("event"); w.string("risky")
    w.key("time"); w.string(time)
    let r = c.record
    endpoints(w, cookie: r.cookie, family: r.family, local: r.local, remote: r.remote)
    w.key("state"); w.string(r.state.kernelName)
    owner(w, c.owner)
    w.key("idleMs"); w.int(c.idleMs)
    JSONReport.writeRisks(w, c.risks)
    w.endObject()
    return w.string
  }

  private static func endpoints(_ w: JSONWriter, cookie: UInt64, family: UInt8, local: Endpoint, remote: Endpoint) {
    w.key("cookie"); w.decimalString(cookie)
    w.key("family"); w.string(family == 10 ? "ipv6" : "ipv4")
    w.key("local"); JSONReport.writeEndpoint(w, local)
    w.key("remote"); JSONReport.writeEndpoint(w, remote)
  }

  private static func owner(_ w: JSONWriter, _ o: Owner?) {
    w.key("owner")
    guard let o else { return w.null() }
    w.beginObject()
    w.key("pid"); w.int(o.pid)
    w.key("command"); w.string(o.command)
    w.key("uid"); w.int(o.uid)
    w.endObject()
  }
}
