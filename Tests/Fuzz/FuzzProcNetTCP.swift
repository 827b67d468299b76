// libFuzzer target: the /proc/net/tcp{,6} parser fed arbitrary file contents, then the model
// (keepalive maths, risks, JSON and table reports) fed whatever it accepted.
// Built by Tests/Fuzz/run.sh with Sources/SockDiag/{ProcNetTCPParser,NetlinkDumpParser}.swift and
// Sources/KatopModel/*.swift in one module.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  var records: [SocketRecord] = []
  _ = try? ProcNetTCPParser.parse(bytes[...], into: &records)
  // A single line as the parser sees it after the header, and a state-filtered parse.
  _ = try? ProcNetTCPParser.parseLine(bytes[...], lineNumber: 2)
  var established: [SocketRecord] = []
  _ = try? ProcNetTCPParser.parse(bytes[...], states: TCPState.established.mask, into: &established)
  modelRoundTrip(records)
  return 0
}
