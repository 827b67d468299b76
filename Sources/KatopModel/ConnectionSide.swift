// Which end of the connection this socket is: the accepted (server) end or the connecting
// (client) end, and what to change at that end. Judged from the listening sockets of the same
// collection: an end whose local port has a LISTEN socket accepted the connection.

public enum ConnectionSide: String, Sendable, Hashable {
  /// This end accepted the connection on a listening port.
  case server
  /// This end connected out (its local port has no listener).
  case client
}

extension FlowContext {
  /// This socket's side; nil for listeners, or when the collection had no listening sockets to
  /// judge by (`listeningPorts` nil: e.g. a state filter without LISTEN).
  public func side(of r: SocketRecord) -> ConnectionSide? {
    guard r.state != .listen, let ports = listeningPorts else { return nil }
    return ports.contains(r.local.port) ? .server : .client
  }

  /// The local ports with a LISTEN socket among `records`; nil when `listenersCollected` is
  /// false (the request's states left LISTEN out, so no port can be judged).
  public static func listeningPorts(_ records: some Sequence<SocketRecord>, listenersCollected: Bool) -> Set<UInt16>? {
    guard listenersCollected else { return nil }
    var ports = Set<UInt16>()
    for r in records where r.state == .listen { ports.insert(r.local.port) }
    return ports
  }
}

extension FixAdvisor {
  /// What to change at this end of the flow, for its side and owner (the detail page).
  public static func advice(side: ConnectionSide, command: String?, remote: Endpoint, localPort: UInt16, _ r: KeepaliveRecommendation) -> String {
    let app = command.flatMap { application(command: $0) }
    let who = command ?? "the owning process"
    switch side {
    case .server:
      let setting = app.map { sideSetting($0, .server, r) } ?? "\(who) on its accepted sockets: \(setsockoptText(r))"
      return "this end accepted the connection on listening port \(localPort): set keepalive in the server, \(setting)."
        + " It keeps the flow alive for both ends; the clients' own keepalive does the same from their side"
    case .client:
      let setting = app.map { sideSetting($0, .client, r) } ?? "\(who): \(setsockoptText(r))"
      return "this end connected to \(Format.endpoint(remote)): set keepalive in the client, \(setting)."
        + " The server's keepalive covers this flow only if it probes before the budget runs out"
    }
  }

  /// The application's setting for one side, where it has one per side (a proxy's client-facing
  /// and upstream sockets); else its one setting.
  static func sideSetting(_ app: Application, _ side: ConnectionSide, _ r: KeepaliveRecommendation) -> String {
    let i = r.idleSeconds, v = r.intervalSeconds, n = r.probes
    switch (app, side) {
    case (.nginx, .server):
      return "nginx: listen ... so_keepalive=\(i)s:\(v)s:\(n) (client-facing listen directive)"
    case (.nginx, .client):
      return "nginx: proxy_socket_keepalive on for upstreams (it uses the system timers: \(sysctlCommand(r)))"
    case (.haproxy, .server):
      return "HAProxy: option clitcpka with clitcpka-idle \(i)s, clitcpka-intvl \(v)s, clitcpka-cnt \(n) (client-facing)"
    case (.haproxy, .client):
      return "HAProxy: option srvtcpka with srvtcpka-idle \(i)s, srvtcpka-intvl \(v)s, srvtcpka-cnt \(n) (to the servers)"
    default:
      return applicationSetting(app, r)
    }
  }
}
