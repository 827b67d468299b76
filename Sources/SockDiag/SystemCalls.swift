// Small Glibc helpers shared by the collector: errno names, file reads, monotonic time.

import Glibc
import KatopModel

enum SystemCalls {
  /// "EPERM", "ENOENT" ... for the errnos a collector meets; "errno N" otherwise.
  static func errnoName(_ code: Int32) -> String {
    switch code {
    case EPERM: return "EPERM"
    case ENOENT: return "ENOENT"
    case ESRCH: return "ESRCH"
    case EINTR: return "EINTR"
    case EBADF: return "EBADF"
    case EACCES: return "EACCES"
    case EISDIR: return "EISDIR"
    case EINVAL: return "EINVAL"
    case EMFILE: return "EMFILE"
    case ENOBUFS: return "ENOBUFS"
    case ENOMEM: return "ENOMEM"
    case EAFNOSUPPORT: return "EAFNOSUPPORT"
    case EPROTONOSUPPORT: return "EPROTONOSUPPORT"
    case EOPNOTSUPP: return "EOPNOTSUPP"
    case ENOSYS: return "ENOSYS"
    default: return "errno \(code)"
    }
  }

  /// Whole contents of a /proc file, or the errno that stopped the read. seq_file hands out
  /// about a page per read(), so read into one reused chunk and append (geometric growth).
  /// `chunkSize`: big for /proc/net/tcp (fewer read() calls), small for small files.
  static func readFile(_ path: String, limit: Int = 256 << 20, chunkSize: Int = 128 * 1024) -> Result<[UInt8], Errno> {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    if fd < 0 { return .failure(Errno(errno)) }
    defer { close(fd) }
    let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 8)
    defer { chunk.deallocate() }
    var bytes: [UInt8] = []
    while bytes.count < limit {
      let n = read(fd, chunk.baseAddress, chunk.count)
      if n < 0 {
        if errno == EINTR { continue }
        return .failure(Errno(errno))
      }
      if n == 0 { break }
      bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[0..<n]))
    }
    return .success(bytes)
  }

  static func readString(_ path: String) -> String? {
    // Sysctls, /proc/net/netstat, sockstat, comm: a few KiB at most.
    guard case .success(let bytes) = readFile(path, limit: 1 << 20, chunkSize: 16 * 1024) else { return nil }
    return String(decoding: bytes, as: UTF8.self)
  }

  static func monotonicMs() -> UInt64 { Clocks.monotonicMs() }
}

/// An errno value carried as an Error.
struct Errno: Error, Equatable {
  var code: Int32
  init(_ code: Int32) { self.code = code }
}
