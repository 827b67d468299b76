// Every change katop makes to a live socket leaves a trace in syslog (facility auth):
// `katop[PID]: set-keepalive by uid 0 (root): 127.0.0.1:41234 -> ... : keepalive off ... -> on ...`.
//
// KATOP_SYSLOG_SOCKET=PATH (for tests only, docs/actions.md): the same lines go as RFC 3164
// datagrams to the unix datagram socket at PATH instead of through syslog(3) and /dev/log, so a
// test can read what katop logs without a syslog daemon.
import FoundationEssentials
import Glibc
import KatopModel

struct ActionLog: Sendable {
  /// nil: syslog(3).
  let testSocketPath: String?
  let uid: UInt32
  /// The user name of `uid`, plus who ran sudo when katop runs under it.
  let user: String?

  static func fromEnvironment() -> ActionLog {
    let env = ProcessInfo.processInfo.environment
    let uid = getuid()
    var name = getpwuid(uid).flatMap { $0.pointee.pw_name.map { String(cString: $0) } }
    if let sudo = env["SUDO_USER"], !sudo.isEmpty { name = (name ?? "?") + ", sudo by \(sudo)" }
    let path = env["KATOP_SYSLOG_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
    if path == nil { openlog(nil, LOG_PID, LOG_AUTH) }  // ident nil: the program name, "katop"
    return ActionLog(testSocketPath: path, uid: uid, user: name)
  }

  func record(_ kind: ActionKind, _ result: ActionResult) {
    let message = ActionReport.syslogMessage(kind: kind, uid: uid, user: user, result)
    let priority = (result.outcome.succeeded ? LOG_NOTICE : LOG_WARNING)
    if let path = testSocketPath {
      send(message, priority: LOG_AUTH | priority, to: path)
    } else {
      message.withCString { text in withVaList([text]) { vsyslog(priority, "%s", $0) } }
    }
  }

  /// One datagram as syslog(3) writes it: `<PRI>Mmm dd hh:mm:ss katop[PID]: MESSAGE`.
  private func send(_ message: String, priority: Int32, to path: String) {
    var now = time(nil)
    var parts = tm()
    localtime_r(&now, &parts)
    var stamp = [CChar](repeating: 0, count: 32)
    _ = strftime(&stamp, stamp.count, "%b %e %H:%M:%S", &parts)
    let stampText = String(decoding: stamp.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    let line = "<\(priority)>\(stampText) katop[\(getpid())]: \(message)"
    let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { return }
    defer { close(fd) }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    let bytes = Array(path.utf8)
    guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return }
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
      raw.copyBytes(from: bytes)
      raw[bytes.count] = 0
    }
    let length = socklen_t(MemoryLayout<sockaddr_un>.size)
    _ = Array(line.utf8).withUnsafeBytes { body in
      withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, body.baseAddress, body.count, 0, $0, length) }
      }
    }
  }
}
