// A process's user name, command line and parent (/proc/PID/cmdline, /proc/PID/stat, the passwd
// database), read once per process by the owner scan.
import Glibc
import KatopModel
import Synchronization

enum ProcessDetailsReader {
  /// uid -> name (nil: no entry), shared by the scan's workers.
  private static let userNames = Mutex([UInt32: String?]())

  static func read(pid: Int32, command: String, uid: UInt32) -> ProcessDetails {
    let commandLine = SystemCalls.readString("/proc/\(pid)/cmdline").map(joinArguments) ?? ""
    let parent = SystemCalls.readString("/proc/\(pid)/stat").flatMap(parentPid) ?? 0
    let parentCommand = parent > 0
      ? SystemCalls.readString("/proc/\(parent)/comm").map { String($0.prefix { $0 != "\n" }) } : nil
    return ProcessDetails(command: command, user: userName(uid), commandLine: commandLine, parentPid: parent, parentCommand: parentCommand)
  }

  /// NUL-separated arguments joined by spaces, the trailing NUL dropped.
  static func joinArguments(_ raw: String) -> String {
    var s = raw
    while s.hasSuffix("\0") { s.removeLast() }
    return String(s.map { $0 == "\0" ? " " : $0 })
  }

  /// The 4th field of /proc/PID/stat, after the command's closing parenthesis (the command may
  /// itself hold spaces and parentheses).
  static func parentPid(_ stat: String) -> Int32? {
    guard let close = stat.lastIndex(of: ")") else { return nil }
    let fields = stat[stat.index(after: close)...].split(separator: " ", maxSplits: 3)
    guard fields.count >= 2 else { return nil }
    return Int32(fields[1])
  }

  static func userName(_ uid: UInt32) -> String? {
    if let known = userNames.withLock({ $0[uid] }) { return known }
    var pw = passwd()
    var result: UnsafeMutablePointer<passwd>?
    var buffer = [CChar](repeating: 0, count: 4096)
    let name: String? = buffer.withUnsafeMutableBufferPointer { b in
      guard let base = b.baseAddress, getpwuid_r(uid, &pw, base, b.count, &result) == 0, result != nil,
        let n = pw.pw_name
      else {
        return nil
      }
      return String(cString: n)
    }
    userNames.withLock { $0[uid] = .some(name) }
    return name
  }
}
