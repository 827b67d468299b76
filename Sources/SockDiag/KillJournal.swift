// Which sockets katop itself ended: `katop kill` and the TUI's F9 append a line per socket ended
// with SOCK_DESTROY ("COOKIE PID\n", hex cookie) to /run/katop/kills, so any katop that sees the
// socket's destroy message (`katop log`, another TUI) can say "killed by katop". Best effort:
// a journal that cannot be written costs only that attribution. Rotated by truncation at 1 MiB.

import Glibc
import KatopModel

public final class KillJournal {
  public static let standardPath = "/run/katop/kills"
  static let rotateBytes = 1 << 20
  /// Entries remembered by a reader (the newest).
  static let remembered = 4096
  public let path: String
  private var readOffset = 0
  private var kills: [UInt64: KatopKill] = [:]
  private var order: [UInt64] = []

  public init(path: String = KillJournal.standardPath) {
    self.path = path
  }

  /// Appends the kills (one write(2) with O_APPEND, so concurrent writers do not interleave lines).
  public func record(_ cookies: [UInt64], pid: Int32 = getpid()) {
    guard !cookies.isEmpty else { return }
    let dir = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
    if !dir.isEmpty { mkdir(dir, 0o755) }
    var st = stat()
    let truncate = stat(path, &st) == 0 && Int(st.st_size) > KillJournal.rotateBytes
    let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (truncate ? O_TRUNC : 0), 0o644)
    guard fd >= 0 else { return }
    defer { close(fd) }
    let text = cookies.map { String($0, radix: 16) + " \(pid)\n" }.joined()
    _ = text.withCString { write(fd, $0, strlen($0)) }
  }

  /// The kill of `cookie`, reading what was appended since the last look.
  public func kill(of cookie: UInt64) -> KatopKill? {
    if let k = kills[cookie] { return k }
    refresh()
    return kills[cookie]
  }

  /// Reads the lines appended since the last call (from the start after a rotation).
  public func refresh() {
    guard case .success(let bytes) = SystemCalls.readFile(path, limit: KillJournal.rotateBytes * 2, chunkSize: 16 * 1024)
    else { return }
    if bytes.count < readOffset { readOffset = 0 }
    guard let lastNewline = bytes.lastIndex(of: UInt8(ascii: "\n")), lastNewline >= readOffset else { return }
    let text = String(decoding: bytes[readOffset...lastNewline], as: UTF8.self)
    readOffset = lastNewline + 1
    for line in text.split(separator: "\n") {
      let parts = line.split(separator: " ")
      guard parts.count == 2, let cookie = UInt64(parts[0], radix: 16), let pid = Int32(parts[1]) else { continue }
      if kills[cookie] == nil { order.append(cookie) }
      kills[cookie] = KatopKill(cookie: cookie, pid: pid)
    }
    if order.count > KillJournal.remembered {
      for old in order.prefix(order.count - KillJournal.remembered) { kills[old] = nil }
      order.removeFirst(order.count - KillJournal.remembered)
    }
  }
}
