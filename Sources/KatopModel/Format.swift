// Text formatting shared by the table, the TUI and JSON: addresses the way ss prints them,
// durations the way ss's timers read.

public enum Format {
  /// `127.0.0.1`, `::1`, `::ffff:127.0.0.1` (RFC 5952 compression, like inet_ntop).
  public static func address(_ a: IPAddress) -> String {
    switch a {
    case .v4(let b0, let b1, let b2, let b3):
      return "\(b0).\(b1).\(b2).\(b3)"
    case .v6(let hi, let lo):
      // Group i of the eight 16-bit groups, read from the two halves (no array per address).
      func group(_ i: Int) -> UInt16 {
        UInt16(truncatingIfNeeded: (i < 4 ? hi : lo) >> UInt64(48 - 16 * (i & 3)))
      }
      // IPv4-mapped (::ffff:a.b.c.d) prints its tail as dotted quad, as inet_ntop does.
      if hi == 0 && (lo >> 32) == 0xFFFF {
        let v = UInt32(truncatingIfNeeded: lo)
        return "::ffff:\(v >> 24).\((v >> 16) & 0xFF).\((v >> 8) & 0xFF).\(v & 0xFF)"
      }
      // Longest run (>= 2) of zero groups becomes "::".
      var bestStart = -1, bestLen = 0, i = 0
      while i < 8 {
        if group(i) == 0 {
          var j = i
          while j < 8 && group(j) == 0 { j += 1 }
          if j - i > bestLen { bestStart = i; bestLen = j - i }
          i = j
        } else { i += 1 }
      }
      if bestLen < 2 { bestStart = -1 }
      var out = ""
      i = 0
      while i < 8 {
        if i == bestStart {
          out += "::"
          i += bestLen
          continue
        }
        if !out.isEmpty && !out.hasSuffix(":") { out += ":" }
        out += String(group(i), radix: 16)
        i += 1
      }
      return out
    }
  }

  /// `127.0.0.1:5432`, `[::1]:5432`, `0.0.0.0:22` / `[::]:22` for a wildcard listener, port 0
  /// as `*` (as `ss -n` prints).
  public static func endpoint(_ e: Endpoint) -> String {
    switch e.address {
    case .v4: return "\(address(e.address)):\(portText(e.port))"
    case .v6: return "[\(address(e.address))]:\(portText(e.port))"
    }
  }

  static func portText(_ p: UInt16) -> String { p == 0 ? "*" : String(p) }

  /// A sortable key for an address (v4 sorts before v6).
  public static func addressKey(_ a: IPAddress) -> (UInt8, UInt64, UInt64) {
    switch a {
    case .v4(let b0, let b1, let b2, let b3):
      return (0, 0, UInt64(b0) << 24 | UInt64(b1) << 16 | UInt64(b2) << 8 | UInt64(b3))
    case .v6(let hi, let lo): return (1, hi, lo)
    }
  }

  /// Compact duration: `850ms`, `45s`, `7m05s`, `2h11m`, `3d04h`.
  public static func duration(ms: Int64) -> String {
    if ms < 0 { return "-" + duration(ms: ms == Int64.min ? Int64.max : -ms) }
    if ms < 1000 { return "\(ms)ms" }
    let s = ms / 1000
    if s < 60 { return "\(s)s" }
    if s < 3600 { return "\(s / 60)m" + pad2(s % 60) + "s" }
    if s < 86400 { return "\(s / 3600)h" + pad2((s % 3600) / 60) + "m" }
    return "\(s / 86400)d" + pad2((s % 86400) / 3600) + "h"
  }

  /// Seconds as a compact duration (`7200` -> `2h00m`).
  public static func duration(seconds: Int) -> String { duration(ms: Int64(seconds) * 1000) }

  static func pad2(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
}
