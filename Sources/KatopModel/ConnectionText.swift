// Cell texts for one connection, shared by the --once table and the TUI so both read the same.

public enum ConnectionText {
  /// `1234/sshd`, or `-` without an owner. Control characters in the command become `?`.
  public static func owner(_ c: Connection) -> String {
    guard let o = c.owner else { return "-" }
    return "\(o.pid)/\(printable(o.command))"
  }

  /// The owner's user name (the uid where it has none), `-` without an owner.
  public static func user(_ c: Connection) -> String { c.owner.map { printable($0.userName) } ?? "-" }

  /// The owner's full command line, else its command; `-` without an owner.
  public static func commandLine(_ c: Connection) -> String { c.owner.map(commandLine) ?? "-" }

  public static func commandLine(_ o: Owner) -> String {
    let line = o.details?.commandLine ?? ""
    return printable(line.isEmpty ? o.command : line)
  }

  /// Idle time (`3s`, `6m12s`) or `-` when unknown.
  public static func idle(_ c: Connection) -> String {
    guard let ms = c.idleMs else { return "-" }
    return Format.duration(ms: Int64(clamping: ms))
  }

  /// `on`, `off` or `?` (another timer hides the keepalive timer and the socket was not inspected);
  /// `-` for LISTEN, TIME_WAIT and handshakes, where keepalive does not run.
  public static func keepalive(_ c: Connection) -> String {
    if !KeepaliveMath.keepaliveApplies(c.record.state) && c.keepalive.enabled != true { return "-" }
    switch c.keepalive.enabled {
    case true?: return "on"
    case false?: return "off"
    case nil: return "?"
    }
  }

  /// ss-style timer: `keepalive 29s/0`, `on 200ms/3`, `timewait 59s/0`, or `-` when off.
  public static func timer(_ c: Connection) -> String {
    let r = c.record
    if r.timer == .off { return "-" }
    return "\(r.timer.ssName) \(Format.duration(ms: KeepaliveMath.expiresMs(r)))/\(r.timerCount)"
  }

  /// keepidle/keepintvl/keepcnt: `45/7/3` read from the socket, `7200/75/9*` assumed from the
  /// sysctls, ` ut=5s` appended for TCP_USER_TIMEOUT; `-` when keepalive is off or irrelevant.
  public static func settings(_ c: Connection) -> String {
    let k = c.keepalive
    if k.enabled == false { return "-" }
    var s = "\(k.idleSeconds)/\(k.intervalSeconds)/\(k.probes)"
    if k.source == .system { s += "*" }
    if k.source == .inferred { s = "\(k.idleSeconds)~/\(k.intervalSeconds)/\(k.probes)*" }
    if let ut = k.userTimeoutMs, ut > 0 { s += " ut=" + Format.duration(ms: Int64(ut)) }
    return s
  }

  /// Legend for the `*` of `settings`.
  public static let settingsLegend =
    "Settings idle/intvl/probes in s; * = assumed from net.ipv4.tcp_keepalive_* (socket not inspected); ~ = keepidle inferred from the keepalive timer"

  /// Time until a dead peer is detected, `never`, `?` (keepalive unknown), or `-` where it does
  /// not apply (LISTEN, TIME_WAIT, handshakes).
  public static func detect(_ c: Connection) -> String {
    if !KeepaliveMath.keepaliveApplies(c.record.state) { return "-" }
    if let ms = c.keepalive.detectInMs { return Format.duration(ms: ms) }
    return c.keepalive.enabled == nil ? "?" : "never"
  }

  /// One plain line to paste into a ticket or chat: `127.0.0.1:43198 -> 127.0.0.1:3306 ESTABLISHED
  /// owner=12513/mariadb user=root idle=472ms keepalive=on settings=7200/75/9* cut-in=- risks=-`.
  public static func summary(_ c: Connection, cutIn: String?) -> String {
    let r = c.record
    var parts = [Format.endpoint(r.local), "->", Format.endpoint(r.remote), r.state.kernelName, "owner=" + owner(c)]
    if let o = c.owner { parts.append("user=" + printable(o.userName)) }
    parts += [
      "idle=" + idle(c), "keepalive=" + keepalive(c), "settings=" + settings(c).replacingSpaces(), "detect=" + detect(c),
    ]
    if let cutIn { parts.append("cut-in=" + cutIn) }
    parts.append("risks=" + risks(c))
    return parts.joined(separator: " ")
  }

  /// Risk ids, most severe first, comma-separated; `-` when none.
  public static func risks(_ c: Connection) -> String {
    c.hasRisks ? c.risks.map(\.id.rawValue).joined(separator: ",") : "-"
  }

  /// Replaces control characters (C0, DEL, C1) with `?` so a hostile command name cannot move
  /// the cursor or break a table row.
  public static func printable(_ s: String) -> String {
    if !s.unicodeScalars.contains(where: isControl) { return s }
    var out = String.UnicodeScalarView()
    for u in s.unicodeScalars { out.append(isControl(u) ? "?" : u) }
    return String(out)
  }

  static func isControl(_ u: Unicode.Scalar) -> Bool { u.value < 0x20 || (u.value >= 0x7F && u.value < 0xA0) }
}

extension String {
  /// `7200/75/9 ut=5s` -> `7200/75/9,ut=5s`: one token in a space-separated line.
  func replacingSpaces() -> String { String(map { $0 == " " ? "," : $0 }) }
}
