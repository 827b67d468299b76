// `katop --json`: the stable machine-readable report (docs/json.md).

public enum JSONReport {
  public static func render(system: SystemInfo, status: CollectorStatus = CollectorStatus(), profile: MiddleboxProfile, connections: [Connection]) -> String {
    String(decoding: renderUTF8(system: system, status: status, profile: profile, connections: connections), as: UTF8.self)
  }

  /// The same report as UTF-8 bytes, ending in a newline (write it out without a String copy).
  public static func renderUTF8(system: SystemInfo, status: CollectorStatus = CollectorStatus(), profile: MiddleboxProfile, connections: [Connection]) -> [UInt8] {
    let w = JSONWriter(capacity: 1024 + connections.count * 800)
    writeReport(w, system, status, profile, connections)
    return w.bytes
  }

  /// Streams the report to `sink` in chunks of about `chunkSize` bytes (the last one smaller), so
  /// a large report is never held whole: `katop --once --json` writes each chunk to stdout.
  /// With `workers` > 1 the rows are rendered in blocks of `blockRows` on that many threads and
  /// written in order (same bytes; ~2 blocks per worker in memory at most).
  public static func render(
    system: SystemInfo, status: CollectorStatus = CollectorStatus(), profile: MiddleboxProfile, connections: [Connection],
    chunkSize: Int = 1 << 20, workers: Int = 1, blockRows: Int = 2048, context: ReportContext? = nil,
    sink: @escaping (UnsafeRawBufferPointer) -> Void
  ) {
    let w = JSONWriter(chunkSize: chunkSize, sink: sink)
    writeReport(w, system, status, profile, connections, workers: workers, blockRows: blockRows, context: context)
    w.flush()
  }

  static func writeReport(
    _ w: JSONWriter, _ system: SystemInfo, _ status: CollectorStatus, _ profile: MiddleboxProfile, _ connections: [Connection],
    workers: Int = 1, blockRows: Int = 2048, context: ReportContext? = nil
  ) {
    w.beginObject()
    w.key("system")
    writeSystem(w, system, status, profile, context)
    w.key("connections")
    w.beginArray()
    let block = max(1, blockRows)
    if workers <= 1 || connections.count <= block {
      for c in connections { writeConnection(w, c, context?.flow, namespaces: context?.namespaces) }
    } else {
      writeRowsInParallel(w, connections, workers: workers, blockRows: block, flow: context?.flow, namespaces: context?.namespaces)
    }
    w.endArray()
    w.endObject()
    w.newline()
  }

  /// Rounds of `workers` blocks: each worker renders one block into its own writer, then the
  /// blocks are appended in order. JSON writing is ~25% of `katop --once --json` at 100k rows.
  static func writeRowsInParallel(
    _ w: JSONWriter, _ connections: [Connection], workers: Int, blockRows: Int, flow: FlowContext? = nil,
    namespaces: NamespaceMap? = nil
  ) {
    let blocks = (connections.count + blockRows - 1) / blockRows
    let writers = (0..<workers).map { _ in JSONWriter(capacity: blockRows * 900) }
    var first = 0
    while first < blocks {
      let round = min(workers, blocks - first)
      let start = first
      Parallel.forEach(count: round, workers: round) { _, k in
        let b = start + k
        let writer = writers[k]
        writer.reset(commaDue: b > 0)
        for i in (b * blockRows)..<min(connections.count, (b + 1) * blockRows) {
          writeConnection(writer, connections[i], flow, namespaces: namespaces)
        }
        return false
      }
      for k in 0..<round { w.append(contentsOf: writers[k]) }
      first += round
    }
  }

  static func writeSystem(_ w: JSONWriter, _ s: SystemInfo, _ status: CollectorStatus, _ p: MiddleboxProfile, _ context: ReportContext? = nil) {
    w.beginObject()
    w.key("hostname"); w.string(s.hostname)
    w.key("kernel"); w.string(s.kernel)
    w.key("source"); w.string(status.source.rawValue)
    w.key("privileged"); w.bool(s.privileged)
    w.key("profile")
    w.beginObject()
    w.key("name"); w.string(p.name)
    w.key("idleTimeoutSeconds"); w.int(p.idleTimeoutSeconds)
    w.key("summary"); w.string(p.summary)
    w.key("keepaliveRefreshes"); w.bool(p.keepaliveRefreshes)
    w.key("detected"); w.string(context?.detection?.detected)
    w.key("detectedFrom"); w.string(context?.detection?.detectedFrom)
    w.endObject()
    writeContextSystem(w, context)
    w.key("keepalive")
    w.beginObject()
    w.key("time"); w.int(s.keepaliveTime)
    w.key("intvl"); w.int(s.keepaliveInterval)
    w.key("probes"); w.int(s.keepaliveProbes)
    w.endObject()
    w.key("tcpRetries2"); w.int(s.tcpRetries2)
    w.key("counters")
    w.beginObject()
    w.key("keepAliveProbes"); w.int(s.keepaliveProbesSent)
    w.key("abortOnTimeout"); w.int(s.abortOnTimeout)
    w.endObject()
    w.key("notes")
    w.beginArray()
    for n in status.notes { w.string(n.text) }
    w.endArray()
    w.key("dumpInterrupted"); w.bool(status.dumpInterrupted)
    w.endObject()
  }

  /// `"keepalive": {"on", "off", "unknown"}, "atRisk": {"critical", "warning", "info"}` of
  /// `--summary` and of each group.
  static func writeKeepaliveAndRisk(_ w: JSONWriter, _ n: ConnectionCounts) {
    w.key("keepalive")
    w.beginObject()
    w.key("on"); w.int(n.keepaliveOn)
    w.key("off"); w.int(n.keepaliveOff)
    w.key("unknown"); w.int(n.keepaliveUnknown)
    w.endObject()
    w.key("atRisk")
    w.beginObject()
    w.key("critical"); w.int(n.critical)
    w.key("warning"); w.int(n.warning)
    w.key("info"); w.int(n.info)
    w.endObject()
  }

  static func writeEndpoint(_ w: JSONWriter, _ e: Endpoint) {
    w.beginObject()
    w.key("address"); w.string(Format.address(e.address))
    w.key("port"); w.int(e.port)
    w.endObject()
  }

  static func writeConnection(_ w: JSONWriter, _ c: Connection, _ flow: FlowContext? = nil, namespaces: NamespaceMap? = nil) {
    let r = c.record
    w.beginObject()
    w.key("local"); writeEndpoint(w, r.local)
    w.key("remote"); writeEndpoint(w, r.remote)
    w.key("state"); w.string(r.state.kernelName)
    w.key("timer")
    w.beginObject()
    w.key("kind"); w.string(r.timer.rawValue)
    w.key("expiresMs"); w.int(r.timer == .off ? 0 : KeepaliveMath.expiresMs(r))
    w.key("count"); w.int(r.timerCount)
    w.endObject()
    w.key("idleMs"); w.int(c.idleMs)
    w.key("flow"); if let flow { writeFlow(w, c, flow) } else { w.null() }
    w.key("conntrack"); writeConntrack(w, c, flow)
    w.key("keepalive"); writeKeepalive(w, c.keepalive)
    w.key("owner")
    if let o = c.owner {
      w.beginObject()
      w.key("pid"); w.int(o.pid)
      w.key("command"); w.string(o.command)
      w.key("uid"); w.int(o.uid)
      w.key("fd"); w.int(o.fd)
      w.key("user"); w.string(o.details?.user)
      w.key("commandLine"); w.string(o.details?.commandLine)
      w.key("ppid"); if let d = o.details, d.parentPid > 0 { w.int(d.parentPid) } else { w.null() }
      w.endObject()
    } else {
      w.null()
    }
    w.key("uid"); w.int(r.uid)
    w.key("inode"); w.int(r.inode)
    w.key("cookie"); w.decimalString(r.cookie)
    w.key("queues")
    w.beginObject()
    w.key("recv"); w.int(r.recvQueue)
    w.key("send"); w.int(r.sendQueue)
    w.endObject()
    w.key("tcpInfo")
    if let info = r.info { writeTCPInfo(w, info) } else { w.null() }
    writeNetns(w, namespaces?.label(of: r.cookie))
    writeRisks(w, c.risks)
    w.endObject()
  }

  /// `"risks": [{id, severity, message, fix}...]`.
  static func writeRisks(_ w: JSONWriter, _ risks: [Risk]) {
    w.key("risks")
    w.beginArray()
    for risk in risks {
      w.beginObject()
      w.key("id"); w.string(risk.id.rawValue)
      w.key("severity"); w.string(risk.severity.name)
      w.key("message"); w.string(risk.message)
      w.key("fix"); w.string(risk.fix)
      w.endObject()
    }
    w.endArray()
  }

  static func writeKeepalive(_ w: JSONWriter, _ k: KeepaliveState) {
    w.beginObject()
    w.key("enabled"); w.bool(k.enabled)
    w.key("idleSeconds"); w.int(k.idleSeconds)
    w.key("intervalSeconds"); w.int(k.intervalSeconds)
    w.key("probes"); w.int(k.probes)
    w.key("userTimeoutMs"); w.int(k.userTimeoutMs)
    w.key("source"); w.string(k.source.rawValue)
    w.key("probesOut"); w.int(k.probesOut)
    w.key("nextProbeInMs"); w.int(k.nextProbeInMs)
    w.key("detectInMs"); w.int(k.detectInMs)
    w.endObject()
  }

  static func writeTCPInfo(_ w: JSONWriter, _ i: TCPInfo) {
    w.beginObject()
    w.key("retransmits"); w.int(i.retransmits)
    w.key("probes"); w.int(i.probes)
    w.key("backoff"); w.int(i.backoff)
    w.key("rtoUs"); w.int(i.rtoUs)
    w.key("unacked"); w.int(i.unacked)
    w.key("retrans"); w.int(i.retrans)
    w.key("lastDataSentMs"); w.int(i.lastDataSentMs)
    w.key("lastDataRecvMs"); w.int(i.lastDataRecvMs)
    w.key("lastAckRecvMs"); w.int(i.lastAckRecvMs)
    w.key("rttUs"); w.int(i.rttUs)
    w.key("rttVarUs"); w.int(i.rttVarUs)
    w.key("totalRetrans"); w.int(i.totalRetrans)
    w.key("bytesAcked"); w.int(i.bytesAcked)
    w.key("bytesReceived"); w.int(i.bytesReceived)
    w.key("segsOut"); w.int(i.segsOut)
    w.key("segsIn"); w.int(i.segsIn)
    w.key("notsentBytes"); w.int(i.notsentBytes)
    w.key("sndWnd"); w.int(i.sndWnd)
    w.key("length"); w.int(i.length)
    w.endObject()
  }
}
