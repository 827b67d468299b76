// Loopback connections for the benchmark, spread over katop-fixture processes (one process may
// hold at most 20,000 descriptors here; a fixture holds both ends of each connection).
import Foundation
import Glibc

final class Fixture {
  let process = Process()
  let stdin = Pipe()
  var pid: Int32 = 0
  var port: UInt16 = 0

  init(binary: String, args: [String]) throws {
    process.executableURL = URL(fileURLWithPath: binary)
    process.arguments = args
    let out = Pipe()
    process.standardOutput = out
    process.standardInput = stdin
    try process.run()
    var line = Data()
    while true {
      let b = out.fileHandleForReading.readData(ofLength: 1)
      if b.isEmpty || b.first == UInt8(ascii: "\n") { break }
      line.append(b)
    }
    let text = String(decoding: line, as: UTF8.self)
    for part in text.split(separator: " ") {
      if part.hasPrefix("pid=") { pid = Int32(part.dropFirst(4)) ?? 0 }
      if part.hasPrefix("port=") { port = UInt16(part.dropFirst(5)) ?? 0 }
    }
    guard text.hasPrefix("ready"), port != 0 else {
      stop()
      throw SpawnError.failed("katop-fixture \(args.joined(separator: " ")) (said '\(text)')", EPROTO)
    }
  }

  func stop() {
    try? stdin.fileHandleForWriting.close()
    if process.isRunning { process.terminate() }
    process.waitUntilExit()
  }
}

/// Opens `connections` loopback connections in chunks, half with keepalive, plus `small` on a port
/// of their own. Returns the fixtures (the last one is the small port).
func openConnections(binary: String, connections: Int, small: Int, perProcess: Int = 9000) throws -> [Fixture] {
  var fixtures: [Fixture] = []
  var left = connections
  do {
    while left > 0 {
      let n = min(perProcess, left)
      fixtures.append(try Fixture(binary: binary, args: ["--port", "0", "--connections", "\(n)", "--keepalive", "300,30,5", "--keepalive-fraction", "0.5", "--keepalive-spread", "600"]))
      left -= n
      FileHandle.standardError.write(Data("  \(connections - left)/\(connections) connections open\r".utf8))
    }
    fixtures.append(try Fixture(binary: binary, args: ["--port", "0", "--connections", "\(small)", "--keepalive", "300,30,5", "--keepalive-fraction", "0.5", "--keepalive-spread", "600"]))
    FileHandle.standardError.write(Data("\n".utf8))
  } catch {
    for f in fixtures { f.stop() }
    throw error
  }
  return fixtures
}

/// TCP sockets in this namespace, counted from /proc/net/tcp{,6}.
func countSockets() -> Int {
  var n = 0
  for path in ["/proc/net/tcp", "/proc/net/tcp6"] {
    guard let f = fopen(path, "r") else { continue }
    var buf = [CChar](repeating: 0, count: 512)
    while fgets(&buf, Int32(buf.count), f) != nil { n += 1 }
    n -= 1  // header
    fclose(f)
  }
  return n
}
