// Listens to sock_diag's destroy multicast (what `ss -E` shows): one message per TCP socket of
// this network namespace when it is freed. No capability needed. Reads the host's abort counters
// with every batch, so a classification can name the deltas over the interval.

import CKatopNetlink
import Glibc
import KatopModel

/// What one `DestroyListener.receive` brought.
public struct DeathBatch: Sendable {
  public var deaths: [SocketDeath] = []
  /// The abort counters' deltas since the previous batch with deaths (nil: unreadable).
  public var counters: AbortCounters?
  /// Times the kernel dropped messages because the socket's queue was full (ENOBUFS).
  public var overruns = 0
}

public final class DestroyListener {
  static let receiveBufferSize = 64 * 1024
  static let socketBufferSize: Int32 = 8 << 20
  let fd: Int32
  private let buffer: UnsafeMutableRawBufferPointer
  private var lastCounters: AbortCounters
  let procRoot: String
  /// Overruns (ENOBUFS) since the listener started.
  public private(set) var totalOverruns = 0

  public init(procRoot: String = "/proc") throws {
    let fd = socket(katop_AF_NETLINK, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), katop_NETLINK_SOCK_DIAG)
    if fd < 0 { throw CollectorError.netlinkSocket(errno: errno) }
    let groups = UInt32(1) << UInt32(katop_SKNLGRP_INET_TCP_DESTROY - 1) | UInt32(1) << UInt32(katop_SKNLGRP_INET6_TCP_DESTROY - 1)
    if katop_netlink_bind_groups(fd, groups) != 0 {
      let code = errno
      close(fd)
      throw CollectorError.netlinkSocket(errno: code)
    }
    if katop_setsockopt_int(fd, SOL_SOCKET, SO_RCVBUFFORCE, DestroyListener.socketBufferSize) != 0 {
      _ = katop_setsockopt_int(fd, SOL_SOCKET, SO_RCVBUF, DestroyListener.socketBufferSize)
    }
    self.fd = fd
    self.procRoot = procRoot
    buffer = .allocate(byteCount: DestroyListener.receiveBufferSize, alignment: 8)
    lastCounters = AbortCounterReader.read(procRoot: procRoot)
  }

  deinit {
    buffer.deallocate()
    close(fd)
  }

  /// Waits up to `timeoutMs` (0: not at all) for messages, then takes every queued one (at most
  /// `limit` datagrams, so a storm of closes cannot hold the caller).
  public func receive(timeoutMs: Int32, limit: Int = 4096) -> DeathBatch {
    var batch = DeathBatch()
    var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    let ready = poll(&pfd, 1, timeoutMs)
    guard ready > 0 else { return batch }
    for _ in 0..<limit {
      let n = recv(fd, buffer.baseAddress, buffer.count, Int32(MSG_DONTWAIT))
      if n < 0 {
        if errno == EINTR { continue }
        if errno == ENOBUFS {
          batch.overruns += 1
          continue
        }
        break  // EAGAIN: drained
      }
      if n == 0 { break }
      let now = SystemCalls.monotonicMs()
      if let deaths = try? DestroyMessageParser.parse(UnsafeRawBufferPointer(rebasing: buffer[0..<n]), receivedAtMs: now) {
        // Connections only: a listener or a never-connected socket has no remote port.
        batch.deaths += deaths.filter { $0.record.remote.port != 0 }
      }
    }
    totalOverruns += batch.overruns
    if !batch.deaths.isEmpty {
      let counters = AbortCounterReader.read(procRoot: procRoot)
      batch.counters = lastCounters.delta(to: counters)
      lastCounters = counters
    }
    return batch
  }
}

/// Tcp EstabResets (/proc/net/snmp) and the TcpExt abort counters (/proc/net/netstat).
public enum AbortCounterReader {
  public static func read(procRoot: String = "/proc") -> AbortCounters {
    var c = AbortCounters()
    if let snmp = SystemCalls.readString(procRoot + "/net/snmp") {
      c.estabResets = namedCounters(snmp, prefix: "Tcp:", ["EstabResets"])[0]
    }
    if let netstat = SystemCalls.readString(procRoot + "/net/netstat") {
      let v = SystemInfoReader.tcpExtCounters(
        netstat, ["TCPAbortOnTimeout", "TCPKeepAlive", "TCPAbortOnClose", "TCPAbortOnData", "TCPAbortOnLinger"])
      (c.abortOnTimeout, c.keepaliveProbes, c.abortOnClose, c.abortOnData, c.abortOnLinger) = (v[0], v[1], v[2], v[3], v[4])
    }
    return c
  }

  /// The values of `names` from a /proc/net/snmp-style pair of lines starting with `prefix`.
  static func namedCounters(_ text: String, prefix: String, _ names: [String]) -> [UInt64?] {
    let lines = text.split(separator: "\n").filter { $0.hasPrefix(prefix + " ") }
    guard lines.count >= 2 else { return names.map { _ in nil } }
    let header = lines[0].split(separator: " "), values = lines[1].split(separator: " ")
    return names.map { name in
      guard let i = header.firstIndex(where: { $0 == name }), i < values.count else { return nil }
      return UInt64(values[i])
    }
  }
}
