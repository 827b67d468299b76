// `katop --once`: a header block and an aligned table, like `top -b -n 1`.

public enum TableReport {
  public static let titles = ["Local", "Remote", "State", "Owner", "Idle", "KA", "Timer", "Settings", "Detect", "Risk"]
  static let rightAligned: Set<Int> = [4, 8]

  /// The text of column `index` (in `titles` order) for one connection.
  public static func cell(_ index: Int, _ c: Connection) -> String {
    switch index {
    case 0: return Format.endpoint(c.record.local)
    case 1: return Format.endpoint(c.record.remote)
    case 2: return c.record.state.kernelName
    case 3: return ConnectionText.owner(c)
    case 4: return ConnectionText.idle(c)
    case 5: return ConnectionText.keepalive(c)
    case 6: return ConnectionText.timer(c)
    case 7: return ConnectionText.settings(c)
    case 8: return ConnectionText.detect(c)
    default: return ConnectionText.risks(c)
    }
  }

  /// Header lines: host, kernel, sysctls, counters, profile, counts, notes.
  public static func header(
    system s: SystemInfo, status: CollectorStatus = CollectorStatus(), profile p: MiddleboxProfile, connections: [Connection],
    detectedFrom: String? = nil
  ) -> [String] {
    var lines: [String] = []
    let host = s.hostname.isEmpty ? "?" : ConnectionText.printable(s.hostname)
    let kernel = s.kernel.isEmpty ? "?" : ConnectionText.printable(s.kernel)
    let access = s.privileged ? "privileged" : "unprivileged: keepalive settings assumed from sysctls"
    lines.append("katop - \(host) - kernel \(kernel) - source \(status.source.rawValue) (\(access))")
    var sys = "keepalive: time \(s.keepaliveTime)s intvl \(s.keepaliveInterval)s probes \(s.keepaliveProbes)"
    sys += " | tcp_retries2 \(s.tcpRetries2)"
    if let n = s.keepaliveProbesSent { sys += " | probes sent \(n)" }
    if let n = s.abortOnTimeout { sys += " | aborts on timeout \(n)" }
    lines.append(sys)
    lines.append("profile: \(p.name), idle timeout \(p.idleTimeoutSeconds)s (\(p.summary))" + (detectedFrom.map { " - auto: \($0)" } ?? ""))

    let n = ConnectionCounts(connections)
    lines.append(
      "connections: \(n.total) total, \(n.established) established, \(n.listen) listen,"
        + " \(n.closeWait) close-wait, \(n.timeWait) time-wait | keepalive on \(n.keepaliveOn),"
        + " off \(n.keepaliveOff), unknown \(n.keepaliveUnknown) | at risk: \(n.critical) critical,"
        + " \(n.warning) warning, \(n.info) info")
    if status.dumpInterrupted { lines.append("note: the kernel interrupted the dump: the list may be incomplete") }
    for n in status.notes { lines.append("note: " + ConnectionText.printable(n.text)) }
    return lines
  }

  public static func render(
    system: SystemInfo, status: CollectorStatus = CollectorStatus(), profile: MiddleboxProfile, connections: [Connection],
    width: Int? = nil, flow: FlowContext? = nil, detectedFrom: String? = nil
  ) -> String {
    var out: [UInt8] = []
    out.reserveCapacity(512 + connections.count * 160)
    func emit(_ line: String) {
      appendLine(&out, line, width: width)
    }
    for line in header(system: system, status: status, profile: profile, connections: connections, detectedFrom: detectedFrom) { emit(line) }
    emit(ConnectionText.settingsLegend)
    emit("")

    // One pass for cells and widths; with a flow context, "Cut in" comes before "Risk".
    let titles = flow == nil ? Self.titles : Self.titles.dropLast() + [FlowText.cutInTitle, "Risk"]
    let rightAligned = flow == nil ? Self.rightAligned : Self.rightAligned.union([9])
    func cell(_ i: Int, _ c: Connection) -> String {
      guard let flow, i >= 9 else { return Self.cell(i, c) }
      return i == 9 ? FlowText.cutIn(FlowBudget.verdict(c, context: flow)) : Self.cell(i, c)
    }
    let columnCount = titles.count
    var widths = titles.map(displayWidth)
    var cells: [String] = []
    cells.reserveCapacity(connections.count * columnCount)
    for c in connections {
      for i in 0..<columnCount {
        let text = cell(i, c)
        widths[i] = max(widths[i], displayWidth(text))
        cells.append(text)
      }
    }
    var row: [UInt8] = []
    func buildRow(_ texts: (Int) -> String) {
      row.removeAll(keepingCapacity: true)
      for i in 0..<columnCount {
        let text = texts(i)
        let pad = widths[i] - displayWidth(text)
        let last = i == columnCount - 1
        if rightAligned.contains(i) { row.append(contentsOf: repeatElement(UInt8(ascii: " "), count: pad)) }
        row.append(contentsOf: text.utf8)
        if !rightAligned.contains(i) && !last {
          row.append(contentsOf: repeatElement(UInt8(ascii: " "), count: pad))
        }
        if !last { row.append(contentsOf: [UInt8(ascii: " "), UInt8(ascii: " ")]) }
      }
      if width == nil {
        out.append(contentsOf: row)
        out.append(UInt8(ascii: "\n"))
      } else {
        appendLine(&out, String(decoding: row, as: UTF8.self), width: width)
      }
    }
    buildRow { titles[$0] }
    for r in 0..<connections.count {
      buildRow { cells[r * columnCount + $0] }
    }
    return String(decoding: out, as: UTF8.self)
  }

  /// Terminal columns a cell takes: one per Unicode scalar (cells are ASCII except owner names).
  static func displayWidth(_ s: String) -> Int {
    let n = s.utf8.count
    if s.utf8.allSatisfy({ $0 < 0x80 }) { return n }
    return s.unicodeScalars.count
  }

  static func appendLine(_ out: inout [UInt8], _ line: String, width: Int?) {
    if let w = width, w >= 0, displayWidth(line) > w {
      out.append(contentsOf: String(line.unicodeScalars.prefix(w)).utf8)
    } else {
      out.append(contentsOf: line.utf8)
    }
    out.append(UInt8(ascii: "\n"))
  }
}

/// Totals over a list of connections, for the `--once` header and the TUI's. Keepalive is
/// counted only in the states where it runs (not LISTEN, TIME_WAIT ...).
public struct ConnectionCounts: Hashable, Sendable {
  public var total = 0
  public var established = 0
  public var listen = 0
  public var closeWait = 0
  public var timeWait = 0
  public var keepaliveOn = 0
  public var keepaliveOff = 0
  public var keepaliveUnknown = 0
  public var critical = 0
  public var warning = 0
  public var info = 0

  public init() {}

  public init(_ connections: [Connection]) {
    for c in connections { add(c) }
  }

  /// Counts one more connection.
  public mutating func add(_ c: Connection) {
      total += 1
      switch c.record.state {
      case .established: established += 1
      case .listen: listen += 1
      case .closeWait: closeWait += 1
      case .timeWait: timeWait += 1
      default: break
      }
      if KeepaliveMath.keepaliveApplies(c.record.state) {
        switch c.keepalive.enabled {
        case true?: keepaliveOn += 1
        case false?: keepaliveOff += 1
        case nil: keepaliveUnknown += 1
        }
      }
      switch c.worstSeverity {
      case .critical?: critical += 1
      case .warning?: warning += 1
      case .info?: info += 1
      case nil: break
      }
  }

  /// Connections whose worst risk has this severity.
  public func atRisk(_ severity: Severity) -> Int {
    switch severity {
    case .critical: return critical
    case .warning: return warning
    case .info: return info
    }
  }
}
