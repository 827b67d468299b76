// Concrete fixes: keepalive values derived from the middlebox timeout, the sysctl line, and the
// owner's own setting when the owner's command is one katop recognises.

/// Keepalive values that keep a flow alive through a middlebox: the first probe well before the
/// idle timeout, and a second chance (one lost probe) still before it.
public struct KeepaliveRecommendation: Hashable, Sendable {
  public var idleSeconds: Int
  public var intervalSeconds: Int
  public var probes: Int
  public init(idleSeconds: Int, intervalSeconds: Int, probes: Int) {
    self.idleSeconds = idleSeconds
    self.intervalSeconds = intervalSeconds
    self.probes = probes
  }
}

public enum FixAdvisor {
  /// Round values an operator would type, largest first.
  static let niceSeconds = [300, 240, 180, 120, 90, 60, 45, 30, 20, 15, 10, 5, 2, 1]

  static func niceFloor(_ limit: Int) -> Int { niceSeconds.first { $0 <= limit } ?? 1 }

  /// keepidle = the largest round value <= min(300, 90% of the timeout) (aws 350 -> 300,
  /// azure 240 -> 180, cgnat 300 -> 240, custom 2 -> 1); keepintvl = round value <= min(30,
  /// keepidle / 4); 5 probes (a dead peer is found within keepidle + 5 x keepintvl).
  public static func recommended(for profile: MiddleboxProfile) -> KeepaliveRecommendation {
    recommended(timeoutSeconds: profile.idleTimeoutSeconds)
  }

  static func recommended(timeoutSeconds: Int) -> KeepaliveRecommendation {
    let idle = niceFloor(min(300, timeoutSeconds * 9 / 10))
    let interval = niceFloor(max(1, min(30, idle / 4)))
    return KeepaliveRecommendation(idleSeconds: idle, intervalSeconds: interval, probes: 5)
  }

  /// `sysctl -w ...`: applies to every socket that enabled SO_KEEPALIVE without setting its own
  /// TCP_KEEPIDLE/INTVL/CNT, including sockets already open. It does not turn keepalive on.
  public static func sysctlCommand(_ r: KeepaliveRecommendation) -> String {
    "sysctl -w net.ipv4.tcp_keepalive_time=\(r.idleSeconds) net.ipv4.tcp_keepalive_intvl=\(r.intervalSeconds)"
      + " net.ipv4.tcp_keepalive_probes=\(r.probes) (persist in /etc/sysctl.d/)"
  }

  public static func setsockoptText(_ r: KeepaliveRecommendation) -> String {
    "setsockopt SO_KEEPALIVE=1, TCP_KEEPIDLE=\(r.idleSeconds), TCP_KEEPINTVL=\(r.intervalSeconds),"
      + " TCP_KEEPCNT=\(r.probes)"
  }

  /// The application family recognised from a process command name (/proc/PID/comm).
  public enum Application: String, Sendable, CaseIterable {
    case ssh, sshd, mysqld, mariadbd, mysqlClient, postgres, libpq, pgbouncer, java, elasticsearch
    case nginx, haproxy, redis, node, python
  }

  public static func application(command: String) -> Application? {
    let c = command.lowercased()
    switch c {
    case "ssh": return .ssh
    case "sshd", "sshd-session": return .sshd
    case "mysqld": return .mysqld
    // `mariadb` is the command-line client (the server is mariadbd / mysqld).
    case "mariadbd": return .mariadbd
    case "mysql", "mysqldump", "mariadb", "mariadb-dump", "mysqladmin", "mariadb-admin": return .mysqlClient
    case "postgres", "postmaster": return .postgres
    case "psql", "pg_dump", "pg_restore": return .libpq
    case "pgbouncer": return .pgbouncer
    case "java": return .java
    case "elasticsearch", "opensearch": return .elasticsearch
    case "nginx": return .nginx
    case "haproxy": return .haproxy
    case "redis-server": return .redis
    case "node", "nodejs": return .node
    default: break
    }
    if c.hasPrefix("sshd:") { return .sshd }
    if c.hasPrefix("python") { return .python }
    if c.hasPrefix("postgres:") { return .postgres }
    return nil
  }

  /// The setting `app` itself offers for keepalive, with values from `r`.
  public static func applicationSetting(_ app: Application, _ r: KeepaliveRecommendation) -> String {
    let i = r.idleSeconds, v = r.intervalSeconds, n = r.probes
    switch app {
    case .ssh:
      return "ssh: ServerAliveInterval \(min(60, i)) and ServerAliveCountMax \(n) in ~/.ssh/config"
    case .sshd:
      return "sshd: ClientAliveInterval \(min(60, i)) and ClientAliveCountMax \(n) in /etc/ssh/sshd_config"
    case .mysqld:
      return "mysqld turns SO_KEEPALIVE on but uses the system timers: \(sysctlCommand(r));"
        + " also keep wait_timeout and the pool's idle limit below the middlebox timeout"
    case .mariadbd:
      return "MariaDB: tcp_keepalive_time=\(i), tcp_keepalive_interval=\(v), tcp_keepalive_probes=\(n)"
        + " under [mysqld] (10.3.6+), or \(sysctlCommand(r))"
    case .mysqlClient:
      return "the MySQL / MariaDB client library turns SO_KEEPALIVE on with the system timers: \(sysctlCommand(r))"
    case .postgres:
      return "PostgreSQL: tcp_keepalives_idle = \(i), tcp_keepalives_interval = \(v),"
        + " tcp_keepalives_count = \(n) in postgresql.conf, then SELECT pg_reload_conf()"
    case .libpq:
      return "libpq: add keepalives=1 keepalives_idle=\(i) keepalives_interval=\(v)"
        + " keepalives_count=\(n) to the connection string"
    case .pgbouncer:
      return "pgbouncer.ini: tcp_keepalive = 1, tcp_keepidle = \(i), tcp_keepintvl = \(v), tcp_keepcnt = \(n)"
    case .java:
      return "Java: socket.setKeepAlive(true) and setOption(ExtendedSocketOptions.TCP_KEEPIDLE, \(i))"
        + " / TCP_KEEPINTERVAL \(v) / TCP_KEEPCOUNT \(n) (JDK 11+); Elasticsearch:"
        + " network.tcp.keep_idle: \(i), network.tcp.keep_interval: \(v), network.tcp.keep_count: \(n)"
    case .elasticsearch:
      return "elasticsearch.yml: network.tcp.keep_alive: true, network.tcp.keep_idle: \(i),"
        + " network.tcp.keep_interval: \(v), network.tcp.keep_count: \(n)"
    case .nginx:
      return "nginx: listen ... so_keepalive=\(i)s:\(v)s:\(n) for clients;"
        + " proxy_socket_keepalive on (system timers) for upstreams"
    case .haproxy:
      return "HAProxy: option clitcpka / option srvtcpka with clitcpka-idle \(i)s, clitcpka-intvl \(v)s,"
        + " clitcpka-cnt \(n) (srvtcpka-* for servers)"
    case .redis:
      return "redis.conf: tcp-keepalive \(i) (or CONFIG SET tcp-keepalive \(i))"
    case .node:
      return "Node.js: socket.setKeepAlive(true, \(i * 1000))"
    case .python:
      return "Python: sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1) and"
        + " socket.TCP_KEEPIDLE \(i), TCP_KEEPINTVL \(v), TCP_KEEPCNT \(n) (IPPROTO_TCP)"
    }
  }

  static func ownerName(_ owner: RiskOwner) -> String {
    guard let command = owner.command else { return "the owning process" }
    return "\(command) (pid \(owner.pid))"
  }

  /// Keepalive is off: it has to be turned on by the application (a sysctl cannot).
  static func enableKeepalive(_ owner: RiskOwner, timeoutSeconds: Int) -> String {
    let r = recommended(timeoutSeconds: timeoutSeconds)
    if let command = owner.command, let app = application(command: command) {
      return applicationSetting(app, r) + "; or in code: " + setsockoptText(r)
    }
    return "enable keepalive in \(ownerName(owner)): \(setsockoptText(r)) (sysctls alone do not enable it)"
  }

  /// Keepalive is on but its first probe comes too late. `fromSystem`: the keepidle is (or
  /// equals) the tcp_keepalive_time sysctl. The application's setting and the second part never
  /// coincide, so they are joined as they are.
  static func shortenKeepidle(_ owner: RiskOwner, keepidleSeconds: Int, fromSystem: Bool, timeoutSeconds: Int) -> String {
    let r = recommended(timeoutSeconds: timeoutSeconds)
    var parts: [String] = []
    if let command = owner.command, let app = application(command: command) { parts.append(applicationSetting(app, r)) }
    if fromSystem {
      // Some applications' own advice already is the sysctl line: say it once.
      if !parts.contains(where: { $0.contains(sysctlCommand(r)) }) { parts.append(sysctlCommand(r)) }
    } else {
      parts.append("\(ownerName(owner)) sets TCP_KEEPIDLE=\(keepidleSeconds) itself: \(setsockoptText(r))")
    }
    return parts.joined(separator: "; or ")
  }

  static func closeWait(_ owner: RiskOwner) -> String {
    "\(ownerName(owner)) must close() this socket: the peer has closed its side;"
      + " look for a connection leaked by a pool or an error path that skips close"
  }

  static func probesUnanswered(_ owner: RiskOwner) -> String {
    "check that the peer host and the path to it are up; a middlebox that already forgot the flow"
      + " drops the probes: keep keepidle below its timeout (\(ownerName(owner)) will see ETIMEDOUT)"
  }

  public static func retransmitting(userTimeoutMs: Int?) -> String {
    let bound =
      (userTimeoutMs ?? 0) > 0
      ? "TCP_USER_TIMEOUT=\(userTimeoutMs ?? 0)ms bounds the wait"
      : "set TCP_USER_TIMEOUT (ms) to give up sooner than tcp_retries2"
    return "check the peer and the path (packet loss, a firewall or NAT that forgot the flow); \(bound)"
  }

  static func zeroWindow(_ owner: RiskOwner) -> String {
    "the peer application is not reading its socket: find why it stalls; \(ownerName(owner)) should bound"
      + " its writes with a timeout (TCP_USER_TIMEOUT covers a dead peer)"
  }
}
