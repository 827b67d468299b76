// libFuzzer target: the sock_diag dump parser (NetlinkDumpParser) fed arbitrary received bytes,
// then whatever it accepted pushed through the model (keepalive maths, risks, JSON and table
// reports) so impossible kernel values cannot trap further down either.
// Built by Tests/Fuzz/run.sh together with Sources/SockDiag/NetlinkDumpParser.swift and
// Sources/KatopModel/*.swift in one module (no imports needed).

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let buffer = UnsafeRawBufferPointer(start: data, count: size)
  var records: [SocketRecord] = []
  // As one datagram, with and without a sequence check (the first message's seq).
  var parser = NetlinkDumpParser()
  _ = try? parser.parse(buffer, into: &records)
  if size >= 12 {
    var checked = NetlinkDumpParser(expectedSequence: buffer.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
    var more: [SocketRecord] = []
    _ = try? checked.parse(buffer, into: &more)
  }
  // A bare inet_diag_msg + attributes, and a bare tcp_info of any length.
  if size >= NetlinkConstants.inetDiagMsgSize, let record = try? NetlinkDumpParser.parseSocket(buffer) {
    records.append(record)
  }
  _ = NetlinkDumpParser.parseTCPInfo(buffer)
  modelRoundTrip(records)
  return 0
}
