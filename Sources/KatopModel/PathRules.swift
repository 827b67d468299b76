// `--path CIDR=PROFILE|SECONDS`: which middlebox budget applies to a remote address (docs/risks.md).

/// An IPv4 or IPv6 prefix such as 198.51.100.0/24 or 2001:db8::/32.
public struct CIDR: Hashable, Sendable, CustomStringConvertible {
  public var address: IPAddress
  public var prefixLength: Int

  /// Parses `A.B.C.D/N`, `IPV6/N` or a bare address (a host prefix); nil when malformed.
  public init?(_ text: String) {
    let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
    guard let first = parts.first, let address = IPAddressText.parse(String(first)) else { return nil }
    let maxLength = address.isV6 ? 128 : 32
    var length = maxLength
    if parts.count == 2 {
      guard let n = Int(parts[1]), (0...maxLength).contains(n) else { return nil }
      length = n
    }
    self.address = address
    self.prefixLength = length
  }

  public var description: String { "\(Format.address(address))/\(prefixLength)" }

  /// True when `other` (an IPv4-mapped IPv6 address counts as its IPv4 address) is inside.
  public func contains(_ other: IPAddress) -> Bool {
    let candidate = IPAddressText.unmapped(other)
    switch (address, candidate) {
    case let (.v4(a, b, c, d), .v4(e, f, g, h)):
      let mine = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
      let theirs = UInt32(e) << 24 | UInt32(f) << 16 | UInt32(g) << 8 | UInt32(h)
      let mask: UInt32 = prefixLength == 0 ? 0 : ~0 << (32 - prefixLength)
      return mine & mask == theirs & mask
    case let (.v6(hi, lo), .v6(otherHi, otherLo)):
      let hiBits = min(prefixLength, 64), loBits = max(prefixLength - 64, 0)
      let hiMask: UInt64 = hiBits == 0 ? 0 : ~0 << (64 - hiBits)
      let loMask: UInt64 = loBits == 0 ? 0 : ~0 << (64 - loBits)
      return hi & hiMask == otherHi & hiMask && lo & loMask == otherLo & loMask
    default:
      return false
    }
  }
}

/// One `--path` rule: remote addresses in `prefix` get `profile`'s idle timeout.
public struct PathRule: Hashable, Sendable {
  public var prefix: CIDR
  /// A named profile, or `custom` for a number of seconds.
  public var profile: MiddleboxProfile
  /// The rule as given, for messages (`198.51.100.0/24=20`).
  public var text: String

  public init(prefix: CIDR, profile: MiddleboxProfile, text: String) {
    self.prefix = prefix
    self.profile = profile
    self.text = text
  }

  /// Parses `CIDR=PROFILE` or `CIDR=SECONDS`; the error says what is wrong in one line.
  public static func parse(_ text: String) -> Result<PathRule, PathRuleError> {
    let parts = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
    guard parts.count == 2 else { return .failure(PathRuleError("'\(text)' is not CIDR=PROFILE or CIDR=SECONDS")) }
    guard let prefix = CIDR(String(parts[0])) else {
      return .failure(PathRuleError("'\(parts[0])' is not an address prefix such as 198.51.100.0/24 or 2001:db8::/32"))
    }
    let budget = String(parts[1])
    if let seconds = Int(budget) {
      guard seconds > 0, seconds <= 2_592_000 else {
        return .failure(PathRuleError("path budget must be between 1 and 2592000 seconds, got \(budget)"))
      }
      return .success(PathRule(prefix: prefix, profile: .custom(seconds: seconds, summary: "--path \(text)"), text: text))
    }
    guard let profile = MiddleboxProfile.named(budget) else {
      let names = MiddleboxProfile.all.map(\.name).joined(separator: ", ")
      return .failure(PathRuleError("unknown profile '\(budget)' in --path (one of: \(names), or seconds)"))
    }
    return .success(PathRule(prefix: prefix, profile: profile, text: text))
  }
}

public struct PathRuleError: Error, Hashable, Sendable, CustomStringConvertible {
  public var description: String
  public init(_ description: String) { self.description = description }
}

/// The `--path` rules in force: the longest prefix containing the remote address wins.
public struct PathRules: Hashable, Sendable {
  public var rules: [PathRule]
  public init(_ rules: [PathRule] = []) { self.rules = rules }

  public func match(_ address: IPAddress) -> PathRule? {
    var best: PathRule?
    for r in rules where r.prefix.contains(address) {
      if best.map({ r.prefix.prefixLength > $0.prefix.prefixLength }) ?? true { best = r }
    }
    return best
  }
}

/// Address text parsing (inet_pton's job, in pure Swift so the model needs no Glibc here).
public enum IPAddressText {
  public static func parse(_ text: String) -> IPAddress? {
    if text.contains(":") { return parseV6(text) }
    let pieces = text.split(separator: ".", omittingEmptySubsequences: false)
    guard pieces.count == 4 else { return nil }
    var bytes: [UInt8] = []
    for p in pieces {
      guard !p.isEmpty, p.count <= 3, p.allSatisfy(\.isASCII), let v = UInt8(p) else { return nil }
      bytes.append(v)
    }
    return .v4(bytes[0], bytes[1], bytes[2], bytes[3])
  }

  static func parseV6(_ text: String) -> IPAddress? {
    var text = text
    // A trailing dotted quad (::ffff:192.0.2.1) is the last two groups.
    if let colon = text.lastIndex(of: ":"), text[colon...].contains(".") {
      guard case let .v4(a, b, c, d)? = parse(String(text[text.index(after: colon)...])) else { return nil }
      text = String(text[...colon]) + String(UInt16(a) << 8 | UInt16(b), radix: 16) + ":" + String(UInt16(c) << 8 | UInt16(d), radix: 16)
    }
    var halves = [text]
    if let r = text.firstRange(of: "::") {
      halves = [String(text[..<r.lowerBound]), String(text[r.upperBound...])]
      guard !halves[1].contains("::") else { return nil }
    }
    func groups(_ s: String) -> [UInt16]? {
      if s.isEmpty { return [] }
      var out: [UInt16] = []
      for g in s.split(separator: ":", omittingEmptySubsequences: false) {
        guard (1...4).contains(g.count), let v = UInt16(g, radix: 16) else { return nil }
        out.append(v)
      }
      return out
    }
    guard let head = groups(halves[0]) else { return nil }
    var all = head
    if halves.count == 2 {
      guard let tail = groups(halves[1]), head.count + tail.count <= 7 else { return nil }
      all += Array(repeating: 0, count: 8 - head.count - tail.count) + tail
    }
    guard all.count == 8 else { return nil }
    let hi = all[0..<4].reduce(UInt64(0)) { $0 << 16 | UInt64($1) }
    let lo = all[4..<8].reduce(UInt64(0)) { $0 << 16 | UInt64($1) }
    return .v6(hi: hi, lo: lo)
  }

  /// ::ffff:a.b.c.d as a.b.c.d; every other address unchanged.
  public static func unmapped(_ a: IPAddress) -> IPAddress {
    guard case let .v6(hi, lo) = a, hi == 0, lo >> 32 == 0xFFFF else { return a }
    return .v4(UInt8(truncatingIfNeeded: lo >> 24), UInt8(truncatingIfNeeded: lo >> 16), UInt8(truncatingIfNeeded: lo >> 8), UInt8(truncatingIfNeeded: lo))
  }

  /// 127.0.0.0/8, ::1 and ::ffff:127.x.
  public static func isLoopback(_ a: IPAddress) -> Bool {
    switch unmapped(a) {
    case let .v4(first, _, _, _): return first == 127
    case let .v6(hi, lo): return hi == 0 && lo == 1
    }
  }
}
