// Helpers shared by the test targets that open real loopback sockets.
import KatopModel
import SockDiag

/// Sockets of this namespace (every state, TIME-WAIT included) using `port` locally or remotely.
/// A port-filtered sock_diag dump, so the kernel does the filtering: reading all of /proc/net/tcp
/// instead cost seconds per listener on a host with 100k other sockets. 0 if netlink fails.
public func socketsUsing(port: UInt16) -> Int {
  let request = CollectRequest(ports: [port], owners: false, socketOptions: false)
  return (try? Collector(source: .netlink).collect(request).sockets.count) ?? 0
}
