// libFuzzer target: the theme file parser fed arbitrary bytes (decoded as UTF-8 the way
// Theme.load reads files), with and without a base theme; every role of an accepted theme is
// looked up.
// Built by Tests/Fuzz/run.sh with Sources/KatopUI/{Theme,BuiltinThemes,Role}.swift in one module.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
  for base in [nil, Theme.builtinMono] {
    guard let theme = try? Theme.parse(text, file: "fuzz.theme", base: base) else { continue }
    var checksum = theme.warnings.count
    for role in Role.allCases {
      let style = theme.style(role)
      if case .indexed(let index, let fallback) = style.fg { checksum &+= index &+ fallback.rawValue }
      if case .indexed(let index, let fallback) = style.bg { checksum &+= index &+ fallback.rawValue }
    }
    if checksum == Int.min { print(checksum) }  // keep the loop from being optimised away
  }
  if let error = (try? Theme.parse(text, file: "fuzz.theme")) == nil ? "x" : nil { _ = error }
  return 0
}
