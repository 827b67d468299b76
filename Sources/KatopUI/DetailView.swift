// The detail page of one connection (every tcp_info field, the keepalive maths, each risk with its
// fix) and the help page generated from the key table. Both scroll with `AppState.pageScroll`.
import KatopModel

typealias Segments = [(String, Role)]

extension Renderer {
  /// The largest useful `pageScroll` for the current page (the run loop clamps with it).
  public func maxPageScroll(_ state: AppState, width: Int, height: Int) -> Int {
    let top = state.mode == .help ? 0 : Layout.headerLines + Layout.noteLines(state)
    let area = height - 1 - top - 1
    let count: Int
    switch state.mode {
    case .help: count = helpLines(width: width, readonly: state.readonly).count
    case .detail:
      count = state.selectedRow.map { detailLines($0, width: width, inspection: state.inspection, flow: state.flow, privileged: state.system.privileged).count } ?? 0
    case .closed: count = 2 * state.closedShown.count + 1
    case .namespaces: count = namespaceLines(state, width: width).count
    default: return 0
    }
    return max(0, count - max(1, area))
  }

  func renderPage(
    title: String, lines: [Segments], scroll: Int, into screen: inout ScreenBuffer, top: Int, bottom: Int
  ) {
    let area = max(0, bottom - top - 1)
    let start = min(max(0, scroll), max(0, lines.count - area))
    screen.fill(top, 0, count: screen.width, " ", .tableHeader)
    var header = title
    if lines.count > area {
      header += "  (\(start + 1)-\(min(lines.count, start + area)) of \(lines.count), Up/Down/PgUp/PgDn scroll)"
    }
    screen.put(top, 0, Fit.truncate(header, screen.width, ellipsis: glyphs.ellipsis), .tableHeader)
    for (i, line) in lines.dropFirst(start).prefix(area).enumerated() {
      putSegments(line, row: top + 1 + i, into: &screen)
    }
  }

  // MARK: detail

  func renderDetail(_ state: AppState, into screen: inout ScreenBuffer, top: Int, bottom: Int) {
    guard let row = state.selectedRow else {
      renderPage(title: "No connection selected (Esc: back)", lines: [], scroll: 0, into: &screen, top: top, bottom: bottom)
      return
    }
    var lines = detailLines(row, width: screen.width, inspection: state.inspection, flow: state.flow, privileged: state.system.privileged)
    if state.showsSummary {
      // Unindented, so a terminal selection copies it whole (wrapped only where it must be).
      let cut = state.flow.map { FlowText.cutIn(FlowBudget.verdict(row.connection, context: $0, watched: row.watched)) }
      let summary = Fit.wrap(ConnectionText.summary(row.connection, cutIn: cut), width: screen.width).map { [($0, Role.detailValue)] }
      lines = summary + [[("(c: hide the summary line)", .status)], []] + lines
    }
    renderPage(title: "Connection details (Esc: back)", lines: lines, scroll: state.pageScroll, into: &screen, top: top, bottom: bottom)
  }

  /// The socket's own settings, read on demand for a socket whose keepalive the timers show off:
  /// values that differ from the sysctls mean the application configured keepalive but never
  /// turned SO_KEEPALIVE on (a classic bug), so they do nothing.
  func inspectionLines(_ options: SocketOptions?, keepalive k: KeepaliveState, field: (String, String, Role) -> Void) {
    guard let o = options else {
      field("socket's own", "could not be read (process gone, fd closed, or not permitted)", .status)
      return
    }
    field("socket's own", "\(o.idleSeconds)/\(o.intervalSeconds)/\(o.probes) (TCP_KEEPIDLE/INTVL/CNT, read now)", .detailValue)
    if o.keepalive {
      field("note", "SO_KEEPALIVE is on now: it was turned on after the last refresh", .keepaliveOn)
    } else if o.idleSeconds != k.idleSeconds || o.intervalSeconds != k.intervalSeconds || o.probes != k.probes {
      field("note", "keepalive is configured on this socket but SO_KEEPALIVE is off: these settings do nothing until the application sets SO_KEEPALIVE", .riskWarning)
    }
  }

  /// `privileged`: katop runs as root (an owner it did not find is then in no process it can see,
  /// not hidden from it).
  func detailLines(
    _ row: TableRow, width: Int, inspection: Inspection? = nil, flow: FlowContext? = nil, privileged: Bool = false
  ) -> [Segments] {
    let c = row.connection, r = c.record, k = c.keepalive
    var out: [Segments] = []
    func field(_ label: String, _ value: String, _ role: Role = .detailValue) {
      let labelWidth = 16
      let wrapped = Fit.wrap(value, width: max(10, width - labelWidth - 2))
      for (i, part) in wrapped.enumerated() {
        out.append([("  " + Fit.pad(i == 0 ? label : "", labelWidth), .detailLabel), (part, role)])
      }
    }
    func section(_ title: String) {
      out.append([])
      out.append([(title, .headerValue)])
    }

    var first: Segments = [
      (Format.endpoint(r.local) + " " + glyphs.arrow + " " + Format.endpoint(r.remote), .detailValue),
      ("  " + r.state.kernelName, .headerValue),
    ]
    if row.status == .closed { first.append(("  (closed)", .closedRow)) }
    if row.status == .new { first.append(("  (new)", .newRow)) }
    out.append(first)
    if let o = c.owner {
      let user = o.details?.user.map { "user \(ConnectionText.printable($0)) (uid \(o.uid))" } ?? "uid \(o.uid)"
      field("owner", "pid \(o.pid) \(ConnectionText.printable(o.command))  fd \(o.fd)  \(user)")
      if let d = o.details {
        if !d.commandLine.isEmpty { field("command line", ConnectionText.commandLine(o)) }
        if d.parentPid > 0 {
          let worker = d.isForkedWorker(of: o.command) ? "  (a forked worker of its parent)" : ""
          field("parent", "pid \(d.parentPid) \(ConnectionText.printable(d.parentCommand ?? "?"))" + worker)
        }
      }
    } else {
      let unknown =
        privileged
        ? "unknown (no process katop can see holds it: another pid namespace, or the kernel)"
        : "unknown (run as root to see every owner)"
      field("owner", r.inode == 0 ? "none (kernel mini-socket)" : unknown)
    }
    field("socket", "inode \(r.inode)  cookie 0x\(String(r.cookie, radix: 16))  uid \(r.uid)  \(r.family == 10 ? "IPv6" : "IPv4")  if \(r.interface)")
    field("queues", "recv \(r.recvQueue)  send \(r.sendQueue)")
    let timer = r.timer == .off
      ? "none" : "\(r.timer.rawValue), fires in \(Format.duration(ms: KeepaliveMath.expiresMs(r))), count \(r.timerCount)"
    field("kernel timer", timer)

    // Risks first: why this connection is in trouble and what to do, before the maths.
    let risks = c.risks  // most severe first, evaluated on each read
    section("Risks (\(risks.count))")
    if risks.isEmpty { out.append([("  none", .detailValue)]) }
    for risk in risks {
      let role = Column.severityRole(risk.severity) ?? .detailValue
      out.append([("  " + risk.severity.name.uppercased(), role), ("  " + risk.id.rawValue, .detailValue)])
      for line in Fit.wrap(risk.message, width: max(10, width - 6)) { out.append([("    " + line, .detailValue)]) }
      for (i, line) in Fit.wrap("fix: " + risk.fix, width: max(10, width - 6)).enumerated() {
        out.append([(i == 0 ? "    " : "         ", .detailLabel), (line, .status)])
      }
    }


    let origin: String
    switch k.source {
    case .socket: origin = "read from the socket"
    case .system: origin = privileged ? "assumed from sysctls: the socket could not be read" : "assumed from sysctls: run as root to read the socket"
    case .timer: origin = "off per the kernel's timers; socket not read, * = sysctls"
    case .inferred: origin = "keepidle inferred from the keepalive timer; * = sysctls"
    }
    section("Keepalive (" + origin + ")")
    switch k.enabled {
    case true?: field("enabled", "on (SO_KEEPALIVE)", .keepaliveOn)
    case false?: field("enabled", "off: a dead peer or a forgotten NAT flow is never noticed while idle", .keepaliveOff)
    case nil: field("enabled", "unknown: another timer (retransmit) hides the keepalive timer", .keepaliveUnknown)
    }
    field("idle so far", c.idleMs.map { Format.duration(ms: Int64(clamping: $0)) + " (min of last data and last ACK received)" } ?? "unknown (no tcp_info)")
    let assumed = k.source == .socket ? "" : " *"
    field("keepalive idle", "\(k.idleSeconds)s (\(Format.duration(seconds: k.idleSeconds)))  TCP_KEEPIDLE\(assumed)")
    field("interval", "\(k.intervalSeconds)s  TCP_KEEPINTVL\(assumed)")
    field("probes", "\(k.probes)  TCP_KEEPCNT\(assumed)")
    if k.source == .timer, let inspected = inspection, inspected.cookie == r.cookie {
      inspectionLines(inspected.options, keepalive: k, field: field)
    }
    if let ut = k.userTimeoutMs {
      field("user timeout", ut == 0 ? "unset (TCP_USER_TIMEOUT)" : Format.duration(ms: Int64(ut)) + " (TCP_USER_TIMEOUT)")
    } else {
      field("user timeout", "unknown")
    }
    field("probes out", "\(k.probesOut) of \(k.probes)")
    field("next probe in", k.nextProbeInMs.map { Format.duration(ms: $0) } ?? "never (keepalive off or unknown)")
    let total = k.idleSeconds + k.probes * k.intervalSeconds
    let maths = "\(k.idleSeconds)s + \(k.probes) x \(k.intervalSeconds)s = \(total)s (\(Format.duration(seconds: total))) after the last segment received"
    field("dead peer after", k.enabled == false ? "never by keepalive (would be \(maths))" : maths)
    field("detected in", k.detectInMs.map { Format.duration(ms: $0) + " from now" } ?? "never")
    if let flow {
      let verdict = FlowBudget.verdict(c, context: flow, watched: row.watched)
      section("Flow: cut in " + FlowText.cutIn(verdict))
      for rung in FlowText.ladder(c, verdict) { field(rung.label, rung.value) }
      if let side = verdict.side {
        field("side", side == .server ? "server (accepted on listening port \(r.local.port))" : "client (connected out)")
        let advice = FixAdvisor.recommended(for: verdict.profile ?? flow.profile)
        field("fix at this end", FixAdvisor.advice(side: side, command: c.owner?.command, remote: r.remote, localPort: r.local.port, advice))
      }
    }

    guard let info = r.info else {
      section("tcp_info: not available")
      return out
    }
    section("tcp_info (\(info.length) bytes)")
    let fields = tcpInfoFields(info)
    let cellWidth = 30
    let perLine = max(1, (width - 2) / cellWidth)
    var i = 0
    while i < fields.count {
      var line: Segments = [("  ", .detailLabel)]
      for (label, value) in fields[i..<min(fields.count, i + perLine)] {
        line += [(Fit.pad(label, 16), .detailLabel), (Fit.pad(value, cellWidth - 16), .detailValue)]
      }
      out.append(line)
      i += perLine
    }
    return out
  }

  func tcpInfoFields(_ t: TCPInfo) -> [(String, String)] {
    func ms(_ v: UInt32?) -> String? { v.map { Format.duration(ms: Int64($0)) } }
    func us(_ v: UInt32?) -> String? {
      v.map { $0 >= 1000 ? "\($0 / 1000).\(($0 % 1000) / 100)ms" : "\($0)us" }
    }
    let all: [(String, String?)] = [
      ("retransmits", t.retransmits.map { "\($0)" }),
      ("probes", t.probes.map { "\($0)" }),
      ("backoff", t.backoff.map { "\($0)" }),
      ("rto", us(t.rtoUs)),
      ("rtt", us(t.rttUs)),
      ("rttvar", us(t.rttVarUs)),
      ("unacked", t.unacked.map { "\($0)" }),
      ("retrans", t.retrans.map { "\($0)" }),
      ("total retrans", t.totalRetrans.map { "\($0)" }),
      ("last data sent", ms(t.lastDataSentMs).map { $0 + " ago" }),
      ("last data recv", ms(t.lastDataRecvMs).map { $0 + " ago" }),
      ("last ack recv", ms(t.lastAckRecvMs).map { $0 + " ago" }),
      ("bytes acked", t.bytesAcked.map { "\($0)" }),
      ("bytes received", t.bytesReceived.map { "\($0)" }),
      ("notsent bytes", t.notsentBytes.map { "\($0)" }),
      ("snd wnd", t.sndWnd.map { "\($0)" }),
    ]
    return all.compactMap { label, value in value.map { (label, $0) } }
  }

  // MARK: help

  func renderHelp(_ state: AppState, into screen: inout ScreenBuffer, top: Int, bottom: Int) {
    renderPage(
      title: "katop help: keys (any other key returns)", lines: helpLines(width: screen.width, readonly: state.readonly),
      scroll: state.pageScroll, into: &screen, top: top, bottom: bottom)
  }

  func helpLines(width: Int, readonly: Bool) -> [Segments] {
    var out: [Segments] = []
    let keyWidth = 18
    for b in KeyTable.bindings(readonly: readonly) {
      let keys = b.keys.map(\.name).joined(separator: " ")
      let parts = Fit.wrap(b.help, width: max(10, width - keyWidth - 2))
      for (i, part) in parts.enumerated() {
        out.append([("  " + Fit.pad(i == 0 ? keys : "", keyWidth), .hintKey), (part, .detailValue)])
      }
    }
    out.append([])
    out.append([("Legend", .headerValue)])
    let legend: [(String, Role, String)] = [
      ("KA on/off/?", .keepaliveOn, "keepalive on, off, or hidden by another timer"),
      ("7200/75/9*", .assumed, "keepalive idle/interval/probes in seconds; * = assumed from sysctls"),
      ("Timer", .detailLabel, "the kernel's one timer: ka keepalive, rtx retransmit, tw time-wait, zwp zero-window probe"),
      ("Detect", .detailLabel, "time until a dead, silent peer would be noticed"),
      ("new row", .newRow, "first seen in the last few seconds"),
      ("closed row", .closedRow, "gone from the latest refresh; lingers a few seconds"),
      ("critical", .riskCritical, "the connection will likely break while idle"),
      ("warning", .riskWarning, "keepalive too slow or unknown for the profile's idle timeout"),
    ]
    for (name, role, text) in legend {
      let parts = Fit.wrap(text, width: max(10, width - keyWidth - 2))
      for (i, part) in parts.enumerated() {
        out.append([("  " + Fit.pad(i == 0 ? name : "", keyWidth), role), (part, .detailValue)])
      }
    }
    return out
  }
}
