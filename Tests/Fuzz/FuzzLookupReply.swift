// libFuzzer target: the exact-lookup reply parser (LookupReplyParser, SocketLookup.swift) fed
// arbitrary received bytes as replies to 1-256 lookups numbered from the first message's
// sequence (so replies match often enough to go deep), then whatever it accepted pushed through
// the model like the dump target does. Built by Tests/Fuzz/run.sh with SocketLookup.swift,
// InetDiagRequest.swift, NetlinkDumpParser.swift and Sources/KatopModel/*.swift in one module.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let buffer = UnsafeRawBufferPointer(start: data, count: size)
  let first: UInt32 = size >= 12 ? buffer.loadUnaligned(fromByteOffset: 8, as: UInt32.self) : 0
  let count = size > 0 ? Int(buffer[size - 1]) + 1 : 1
  var parser = LookupReplyParser(firstSequence: first, count: count)
  _ = try? parser.parse(buffer)
  // The same bytes split in two datagrams at a byte chosen by the input.
  if size >= 2 {
    let cut = Int(buffer[0]) % size
    var split = LookupReplyParser(firstSequence: first, count: count)
    if (try? split.parse(UnsafeRawBufferPointer(rebasing: buffer[0..<cut]))) != nil {
      _ = try? split.parse(UnsafeRawBufferPointer(rebasing: buffer[cut...]))
    }
  }
  modelRoundTrip(parser.records.compactMap { $0 })
  return 0
}
