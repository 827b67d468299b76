// This namespace's conntrack table (ctnetlink dump over raw NETLINK_NETFILTER; CAP_NET_ADMIN):
// each TCP entry's tuples, state and seconds left (CTA_TIMEOUT), for joining flows to entries.

import Glibc
import KatopModel

public enum Conntrack {
  static let netlinkNetfilter: Int32 = 12
  static let ctGet: UInt16 = 1 << 8 | 1  // NFNL_SUBSYS_CTNETLINK << 8 | IPCTNL_MSG_CT_GET
  static let tcpStates = ["NONE", "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT", "CLOSE_WAIT", "LAST_ACK", "TIME_WAIT", "CLOSE", "SYN_SENT2"]

  /// Every TCP entry by both of its tuples' 4-tuples (original and reply direction, each both
  /// ways round); nil when conntrack cannot be read here (not loaded, no CAP_NET_ADMIN).
  public static func dump() -> [FlowKey: ConntrackEntry]? {
    let fd = socket(AF_NETLINK, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), netlinkNetfilter)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var tv = timeval(tv_sec: 2, tv_usec: 0)
    _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    var request = [UInt8](repeating: 0, count: 20)
    func put16(_ v: UInt16, _ at: Int) { request[at] = UInt8(v & 0xFF); request[at + 1] = UInt8(v >> 8) }
    request[0] = 20
    put16(ctGet, 4)
    put16(0x301, 6)  // NLM_F_REQUEST | NLM_F_DUMP
    request[8] = 1  // sequence
    request[16] = 0  // nfgen_family AF_UNSPEC: every L3 family
    let sent = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
    guard sent == request.count else { return nil }
    var out: [FlowKey: ConntrackEntry] = [:]
    var buffer = [UInt8](repeating: 0, count: 256 * 1024)
    for _ in 0..<100_000 {
      let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
      if n < 0 && errno == EINTR { continue }
      guard n > 0 else { return nil }
      var done = false
      buffer.withUnsafeBytes { raw in
        done = parseDatagram(UnsafeRawBufferPointer(rebasing: raw[0..<n]), into: &out)
      }
      if done { return out }
    }
    return out
  }

  /// Parses one datagram of the dump; true at NLMSG_DONE (or an error message).
  static func parseDatagram(_ p: UnsafeRawBufferPointer, into out: inout [FlowKey: ConntrackEntry]) -> Bool {
    var offset = 0
    while offset + 16 <= p.count {
      let length = Int(p.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
      let type = p.loadUnaligned(fromByteOffset: offset + 4, as: UInt16.self)
      guard length >= 16, offset + length <= p.count else { return true }
      if type == 3 || type == 2 { return true }  // NLMSG_DONE, NLMSG_ERROR
      if type == 1 << 8 | 0, length >= 20 {  // IPCTNL_MSG_CT_NEW
        let body = UnsafeRawBufferPointer(rebasing: p[(offset + 20)..<(offset + length)])
        if let (entry, tuples) = parseEntry(body) {
          for t in tuples {
            out[t] = entry
            out[t.reversed] = entry
          }
        }
      }
      offset += (length + 3) & ~3
    }
    return false
  }

  /// Calls `body(type, payload)` for each attribute in `p`.
  static func attributes(_ p: UnsafeRawBufferPointer, _ body: (UInt16, UnsafeRawBufferPointer) -> Void) {
    var offset = 0
    var guardCount = 0
    while offset + 4 <= p.count, guardCount < 10_000 {
      guardCount += 1
      let length = Int(p.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
      let type = p.loadUnaligned(fromByteOffset: offset + 2, as: UInt16.self) & 0x3FFF
      guard length >= 4, offset + length <= p.count else { return }
      body(type, UnsafeRawBufferPointer(rebasing: p[(offset + 4)..<(offset + length)]))
      offset += (length + 3) & ~3
    }
  }

  static func tuple(_ p: UnsafeRawBufferPointer) -> FlowKey? {
    var src: IPAddress?, dst: IPAddress?, sport: UInt16?, dport: UInt16?, proto: UInt8?
    attributes(p) { type, payload in
      if type == 1 {  // CTA_TUPLE_IP
        attributes(payload) { t, a in
          if (t == 1 || t == 2), a.count == 4 {
            let ip = IPAddress.v4(a[0], a[1], a[2], a[3])
            if t == 1 { src = ip } else { dst = ip }
          } else if (t == 3 || t == 4), a.count == 16 {
            let hi = a[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }, lo = a[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            if t == 3 { src = .v6(hi: hi, lo: lo) } else { dst = .v6(hi: hi, lo: lo) }
          }
        }
      } else if type == 2 {  // CTA_TUPLE_PROTO
        attributes(payload) { t, a in
          if t == 1, a.count >= 1 { proto = a[0] }
          if (t == 2 || t == 3), a.count >= 2 {
            let port = UInt16(a[0]) << 8 | UInt16(a[1])
            if t == 2 { sport = port } else { dport = port }
          }
        }
      }
    }
    guard proto == 6, let src, let dst, let sport, let dport else { return nil }
    return FlowKey(local: Endpoint(address: src, port: sport), remote: Endpoint(address: dst, port: dport))
  }

  static func parseEntry(_ p: UnsafeRawBufferPointer) -> (ConntrackEntry, [FlowKey])? {
    var tuples: [FlowKey] = []
    var timeout: Int?
    var state: String?
    attributes(p) { type, payload in
      switch type {
      case 1, 2: if let t = tuple(payload) { tuples.append(t) }  // CTA_TUPLE_ORIG / REPLY
      case 7 where payload.count >= 4:  // CTA_TIMEOUT, seconds, big-endian
        timeout = Int(UInt32(payload[0]) << 24 | UInt32(payload[1]) << 16 | UInt32(payload[2]) << 8 | UInt32(payload[3]))
      case 4:  // CTA_PROTOINFO > CTA_PROTOINFO_TCP > CTA_PROTOINFO_TCP_STATE
        attributes(payload) { t, tcp in
          guard t == 1 else { return }
          attributes(tcp) { s, v in
            if s == 1, v.count >= 1 { state = tcpStates.indices.contains(Int(v[0])) ? tcpStates[Int(v[0])] : "\(v[0])" }
          }
        }
      default: break
      }
    }
    guard !tuples.isEmpty, let timeout else { return nil }
    return (ConntrackEntry(state: state ?? "?", timeoutSeconds: timeout), tuples)
  }
}
