import KatopModel
import XCTest

/// The exact message and fix of every rule branch, as literals: risk texts are built lazily from a
/// few stored numbers, and these pin them to the texts the eager builders produced (JSON bytes,
/// detail view and docs depend on them).
final class RiskTextTests: XCTestCase {
  static func owner(_ command: String, pid: Int32 = 4242) -> Owner { Owner(pid: pid, command: command, uid: 1000, fd: 9) }

  /// (name, connection) pairs covering each rule's branches, owners and profiles.
  static func cases() -> [(String, Connection)] {
    var out: [(String, Connection)] = []
    let idleOff = Fixture.record(idleMs: 200_000)
    out.append(("no-keepalive warning, no owner", Fixture.connection(idleOff)))
    out.append(("no-keepalive warning, azure", Fixture.connection(Fixture.record(idleMs: 130_500), profile: .named("azure") ?? .aws)))
    out.append(("no-keepalive critical >=", Fixture.connection(Fixture.record(idleMs: 350_000), owner: owner("my-daemon"))))
    out.append(("no-keepalive critical >, custom", Fixture.connection(Fixture.record(idleMs: 3000), profile: .custom(seconds: 2))))
    out.append(("no-keepalive critical, conntrack", Fixture.connection(Fixture.record(idleMs: 4_000_000_000), profile: .named("conntrack") ?? .aws)))
    for app in ["ssh", "sshd", "sshd: user@pts/0", "mysqld", "mariadbd", "mysql", "postgres", "postgres: walsender",
                "psql", "pgbouncer", "java", "opensearch", "nginx", "haproxy", "redis-server", "nodejs", "python3.11"] {
      out.append(("no-keepalive \(app)", Fixture.connection(Fixture.record(idleMs: 400_000), owner: owner(app))))
    }
    out.append(("no-keepalive gcp-nat, postgres", Fixture.connection(
      Fixture.record(idleMs: 900_000), owner: owner("postgres"), profile: .named("gcp-nat") ?? .aws)))

    let kaTimer = Fixture.record(timer: .keepalive, expiresMs: 7_000_000, idleMs: 200_000)
    out.append(("too-slow system warning", Fixture.connection(kaTimer)))
    out.append(("too-slow system critical, nginx", Fixture.connection(
      Fixture.record(timer: .keepalive, expiresMs: 6_800_000, idleMs: 400_000), owner: owner("nginx"))))
    out.append(("too-slow socket warning, own keepidle", Fixture.connection(
      Fixture.record(timer: .keepalive, expiresMs: 1000, idleMs: 0), options: Fixture.options(true, 7000, 30, 5),
      owner: owner("app"))))
    out.append(("too-slow socket critical, custom, no owner", Fixture.connection(
      Fixture.record(timer: .keepalive, expiresMs: 42_000, idleMs: 3000), options: Fixture.options(true, 45, 7, 3),
      profile: .custom(seconds: 2))))
    out.append(("too-slow socket = sysctl, mysql", Fixture.connection(
      Fixture.record(timer: .keepalive, expiresMs: 1000, idleMs: 0), options: Fixture.options(true, 7200, 75, 9),
      owner: owner("mysql"))))
    out.append(("too-slow socket, redis, cgnat", Fixture.connection(
      Fixture.record(timer: .keepalive, expiresMs: 1000, idleMs: 10_000), options: Fixture.options(true, 600, 60, 3),
      owner: owner("redis-server"), profile: .named("cgnat") ?? .aws)))

    out.append(("probes warning", Fixture.connection(
      Fixture.record(timer: .keepalive, expiresMs: 75_000, count: 1, idleMs: 7_300_000))))
    out.append(("probes critical, owner", Fixture.connection(
      Fixture.record(timer: .keepalive, expiresMs: 75_000, count: 8, idleMs: 7_800_000), owner: owner("ssh", pid: 7))))
    out.append(("probes socket", Fixture.connection(
      Fixture.record(timer: .keepalive, expiresMs: 5_000, count: 2, idleMs: 80_000), options: Fixture.options(true, 60, 10, 3),
      owner: owner("app"))))

    out.append(("retransmitting warning", Fixture.connection(
      Fixture.record(timer: .retransmit, expiresMs: 800, count: 2, info: Fixture.info(idleMs: 0, backoff: 2)))))
    out.append(("retransmitting critical, send-q, user timeout", Fixture.connection(
      Fixture.record(timer: .retransmit, expiresMs: 800, count: 7, sendQueue: 4096, info: Fixture.info(idleMs: 0, rtoUs: 120_000_000, backoff: 7)),
      options: Fixture.options(false, 7200, 75, 9, userTimeoutMs: 30_000))))
    out.append(("retransmitting, no tcp_info", Fixture.connection(
      Fixture.record(timer: .retransmit, expiresMs: 800, count: 3, idleMs: nil))))
    out.append(("retransmitting syn-sent", Fixture.connection(
      Fixture.record(state: .synSent, timer: .retransmit, expiresMs: 3000, count: 3, idleMs: nil))))

    var closedWindow = Fixture.info(idleMs: 0)
    closedWindow.sndWnd = 0
    out.append(("zero-window persist", Fixture.connection(
      Fixture.record(timer: .persist, expiresMs: 400, count: 3, sendQueue: 100), owner: owner("java"))))
    out.append(("zero-window closed window", Fixture.connection(
      Fixture.record(timer: .off, sendQueue: 2_000_000, info: closedWindow))))

    out.append(("close-wait owner, idle, recv-q", Fixture.connection(
      Fixture.record(state: .closeWait, idleMs: 65_000, recvQueue: 12), owner: owner("java"))))
    out.append(("close-wait idle only", Fixture.connection(Fixture.record(state: .closeWait, idleMs: 500))))
    out.append(("close-wait nothing known", Fixture.connection(Fixture.record(state: .closeWait, idleMs: nil))))
    out.append(("close-wait recv-q only", Fixture.connection(
      Fixture.record(state: .closeWait, idleMs: nil, recvQueue: 1), owner: owner("node", pid: 1))))
    return out
  }

  static func describe(_ c: Connection) -> [String] {
    c.risks.map { "\($0.id.rawValue) \($0.severity.name)\n\($0.message)\n\($0.fix)" }
  }

  func testRiskTextsAreUnchanged() {
    let actual = Self.cases().map { ($0.0, Self.describe($0.1)) }
    XCTAssertEqual(Set(actual.map(\.0)), Set(Self.expected.keys))
    for (name, texts) in actual {
      XCTAssertEqual(texts, Self.expected[name], name)
    }
  }

  /// Values a packed case cannot hold (a profile name katop does not know, a timeout beyond
  /// Int32, a huge keepidle) fall back to texts built at once: the same words either way.
  func testUnpackableInputsKeepTheirTexts() {
    let odd = MiddleboxProfile(name: "corp-fw", idleTimeoutSeconds: 90, summary: "test")
    let c = Fixture.connection(Fixture.record(idleMs: 100_000), profile: odd)
    XCTAssertEqual(c.risks.map(\.message), ["idle 1m40s > corp-fw 90s idle timeout, no keepalive: the middlebox has likely dropped this flow"])
    XCTAssertEqual(c.risks.map(\.fix), [
      "enable keepalive in the owning process: setsockopt SO_KEEPALIVE=1, TCP_KEEPIDLE=60, TCP_KEEPINTVL=15,"
        + " TCP_KEEPCNT=5 (sysctls alone do not enable it)"])
    let huge = MiddleboxProfile.custom(seconds: 5_000_000_000)
    let slow = Fixture.connection(
      Fixture.record(timer: .keepalive, expiresMs: 1000, idleMs: 10), options: Fixture.options(true, 6_000_000_000, 30, 5),
      owner: Self.owner("redis-server"), profile: huge)
    XCTAssertEqual(slow.risks.map(\.message), [
      "first keepalive probe after 6000000000s idle >= custom 5000000000s idle timeout: the middlebox forgets the flow first"])
    XCTAssertEqual(slow.risks.map(\.fix), [
      "redis.conf: tcp-keepalive 300 (or CONFIG SET tcp-keepalive 300); or redis-server (pid 4242) sets"
        + " TCP_KEEPIDLE=6000000000 itself: setsockopt SO_KEEPALIVE=1, TCP_KEEPIDLE=300, TCP_KEEPINTVL=30, TCP_KEEPCNT=5"])
  }

  /// Texts given as strings still read back, compare and hash by value; setting one keeps the other.
  func testStoredTextsAndSetters() {
    let a = Risk(id: .closeWait, severity: .info, message: "m", fix: "f")
    XCTAssertEqual(a, Risk(id: .closeWait, severity: .info, message: "m", fix: "f"))
    XCTAssertEqual(Set([a, Risk(id: .closeWait, severity: .info, message: "m", fix: "f")]).count, 1)
    XCTAssertNotEqual(a, Risk(id: .closeWait, severity: .info, message: "m", fix: "g"))
    var risk = Self.cases()[0].1.risks[0]
    let fix = risk.fix
    risk.message = "changed"
    XCTAssertEqual(risk.message, "changed")
    XCTAssertEqual(risk.fix, fix)
    risk.fix = "other"
    XCTAssertEqual([risk.message, risk.fix], ["changed", "other"])
  }

  /// A Risk holds an id (16-byte String), the packed inputs (largest case: owner command 16 +
  /// pid 4 + probes out 4 + detect-in Int64? 9 + probes 4 + interval 4 = 44, plus the case tag)
  /// and the severity: 62 bytes, stride 64, and no heap text. Before: 56 plus two heap strings.
  func testRiskStaysSmall() {
    print("MemoryLayout<Risk>: size \(MemoryLayout<Risk>.size), stride \(MemoryLayout<Risk>.stride)")
    XCTAssertLessThanOrEqual(MemoryLayout<Risk>.stride, 64)
  }

  static let expected: [String: [String]] = [
    "no-keepalive warning, no owner": [
      "no-keepalive warning\nidle 3m20s of aws 350s idle timeout, no keepalive: dropped if idle 2m30s more\nenable keepalive in the owning process: setsockopt SO_KEEPALIVE=1, TCP_KEEPIDLE=300, TCP_KEEPINTVL=30, TCP_KEEPCNT=5 (sysctls alone do not enable it)",
    ],
    "no-keepalive warning, azure": [
      "no-keepalive warning\nidle 2m10s of azure 240s idle timeout, no keepalive: dropped if idle 1m49s more\nenable keepalive in the owning process: setsockopt SO_KEEPALIVE=1, TCP_KEEPIDLE=180, TCP_KEEPINTVL=30, TCP_KEEPCNT=5 (sysctls alone do not enable it)",
    ],
    "no-keepalive critical >=": [
      "no-keepalive critical\nidle 5m50s >= aws 350s idle timeout, no keepalive: the middlebox has likely dropped this flow\nenable keepalive in my-daemon (pid 4242): setsockopt SO_KEEPALIVE=1, TCP_KEEPIDLE=300, TCP_KEEPINTVL=30, TCP_KEEPCNT=5 (sysctls alone do not enable it)",
    ],
    "no-keepalive critical >, custom": [
      "no-keepalive critical\nidle 3s > custom 2s idle timeout, no keepalive: the middlebox has likely dropped this flow\nenable keepalive in the owning process: setsockopt SO_KEEPALIVE=1, TCP_KEEPIDLE=1, TCP_KEEPINTVL=1, TCP_KEEPCNT=5 (sysctls alone do not enable it)",
    ],
    "no-keepalive critical, conntrack": [
      "no-keepalive critical\nidle 46d07h > conntrack 432000s idle timeout, no keepalive: the middlebox has likely dropped this flow\nenable keepalive in the owning process: setsockopt SO_KEEPALIVE=1, TCP_KEEPIDLE=300, TCP_KEEPINTVL=30, TCP_KEEPCNT=5 (sysctls alone do not enable it)",
    ],
    "no-keepalive ssh": [
      "no-keepalive critical\nidle 6m40s > aws 350s idle timeout, no keepalive: the middlebox has likely dropped this flow\nssh: ServerAliveInterval 60 and ServerAliveCountMax 5 in ~/.ssh/config; or in code: setsockopt SO_KEEPALIVE=1, TCP_KEEPIDLE=300, TCP_KEEPINTVL=30, TCP_KEEPCNT=5",
    ],
    "no-keepalive sshd": [
      "no-keepalive critical\nidle 6m40s > aws 350s idle timeout, no keepalive: the middlebox has likely dropped this flow\nsshd: ClientAliveInterval 60 and ClientAliveCountMax 5 in /etc/ssh/sshd_config; or in code: setsockopt SO_KEEPALIVE=1, TCP_KEEPIDLE=300, TCP_KEEPINTVL=30, TCP_KEEPCNT=5",
    ],
    "no-keepalive sshd: user@pts/0": [
      "no-keepalive critical\nidle 6m40s > aws 350s idle timeout, no keepalive: the middlebox has likely dropped this flow\nsshd: ClientAliveInterval 60 and ClientAliveCountMax 5 in /etc/ssh/sshd_config; or in code: setsockopt SO_KEEPALIVE=1, TCP_KEEPIDLE=300, TCP_KEEPINTVL=30, TCP_KEEPCNT=5",
    ],
    "no-keepalive mysqld": [
      "no-keepalive critical\nidle 6m40s > aws 350s idle timeout, no keepalive: the middlebox has likely dropped this flow\nmysqld turns SO_KEEPALIVE on but uses the system timers: sysctl -w net.ipv4.tcp_keepalive_time=300 net.ipv4.tcp_keepalive_intvl=30 net.ipv4.tcp_keepalive_probes=5 (persist in /etc/sysctl.d/); also keep wait_timeout and the pool\'s idle limit below the middlebox timeout; or in code: setsockopt SO_KEEPALIVE=1, TCP_KEEPIDLE=300, TCP_KEEPINTVL=30, TCP_KEEPCNT=5",
    ],
    "no-keepalive mariadbd": [
      "no-keepalive critical\nidle 6m40s > aws 350s idle timeout, no keepalive: the middlebox has likely dropped this flow\nMariaDB: tcp_keepalive_time=300, tcp_keepalive_interval=30, tcp_keepalive_probes=5 under [mysqld] (10.3.6+), or sysctl -w net.ipv4.tcp_keepalive_time=300 net.ipv4.tcp_keepalive_intvl=30 net.ipv4.tcp_keepalive_probes=5 (persist in /etc/sysctl.d/); or in code: setsockopt SO_KEEPALIVE=1, TCP_KEEPIDLE=300, TCP_KEEPINTVL=30, TCP_KEEPCNT=5",
    ],
    "no-keepalive mysql": [
      "no-keepalive critical\nidle 6m40s > aws 350s idle timeout, no keepalive: the middlebox has likely dropped this flow\nthe MySQL / MariaDB client library turns SO_KEEPALIVE on with the system timers: sysctl -w net.ipv4.tcp_keepalive_time=300 net.ipv4.tcp_keepalive_intvl=30 net.ipv4.tcp_keepalive_probes=5 (persist in /etc/sysctl.d/); or in code: setsockopt SO_KEEPALIVE=1, TCP_KEEPIDLE=300, TCP_KEEPINTVL=30, TCP_KEEPCNT=5",
    ],
    "no-keepalive postgres": [
      "no-keepalive critical\nidle 6m40s > aws 350s idle timeout, no keepalive: the middlebox has likely dropped this flow\nPostgreSQL: tcp_keepalives_idle = 300, tcp_keepalives_interval = 30, tcp_keepalives_count = 5 in postgresql.conf, then SELECT pg_reload_conf(); or in code: setsockopt SO_KEEPALIVE=1, TCP_KEEPIDLE=300, TCP_KEEPINTVL=30, TCP_KEEPCNT=5",
    ],
    "no-keepalive postgres: walsender": [
      "no-keepalive critical\nidle 6m40s > aws 350s idle timeout, no keepalive: the middlebox has likely dropped this flow\nPostgreSQL: tcp_keepalives_idle = 300, tcp_keepalives_interval = 30, tcp_keepalives_count = 5 in postgresql.conf, then SELECT pg_reload_conf(); or in code: setsockopt SO_KEEPALIVE=1, TCP_KEEPIDLE=300, TCP_KEEPINTVL=30, TCP_KEEPCNT=5",
    ],
    "no-keepalive psql": [
      "no-keepalive critical\nidle 6m40s > aws 350s idle timeout, no keepalive: the middlebox has likely dropped this flow\nlibpq: add keepalives=1 keepalives_idle=300 keepalives_interval=30 keepalives_count=5 to the connection string; or in code: setsockopt SO_KEEPALIVE=1, TCP_KEEPIDLE=300, TCP_KEEPINTVL=30, TCP_KEEPCNT=5",
    ],
    "no-keepalive pgbouncer": [
      "no-keepalive critical\nidle 6m40s > aws 350s idle timeout, no keepalive: the middlebox has likely dropped this flow\npgbouncer.ini: tcp_keepalive = 1, tcp_keepidle = 300, tcp_keepintvl = 30, tcp_keepcnt = 5; or in code: setsockopt SO_KEEPALIVE=1, TCP_KEEPIDLE=300, TCP_KEEPINTVL=30, TCP_KEEPCNT=5",
    ],
    "no-keepalive java": [
      "no-keepalive critical\nidle 6m40s > aws 350s idle timeout, no keepalive: the middlebox has likely dropped this flow\nJava: socket.setKeepAlive(true) and setOption(ExtendedSocketOptions.TCP_KEEPIDLE, 300) / TCP_KEEPINTERVAL 30 / TCP_KEEPCOUNT 5 (JDK 11+); Elasticsearch: network.tcp.keep_idle: 300, network.tcp.keep_interval: 30, network.tcp.keep_count: 5; or in code: setsockopt SO_KEEPALIVE=1, TCP_KEEPIDLE=300, TCP_KEEPINTVL=30, TCP_KEEPCNT=5",
    ],
    "no-keepalive opensearch": [
      "no-keepalive critical\nidle 6m40s > aws 350s idle timeout, no keepalive: the middlebox has likely dropped this flow\nelasticsearch.yml: network.tcp.keep_alive: true, network.tcp.keep_idle: 300, network.tcp.keep_interval: 30, network.tcp.keep_count: 5; or in code: setsockopt SO_KEEPALIVE=1, TCP_KEEPIDLE=300, TCP_KEEPINTVL=30, TCP_KEEPCNT=5",
    ],
    "no-keepalive nginx": [
      "no-keepalive critical\nidle 6m40s > aws 350s idle timeout, no keepalive: the middlebox has likely dropped this flow\nnginx: listen ... so_keepalive=300s:30s:5 for clients; proxy_socket_keepalive on (system timers) for upstreams; or in code: setsockopt SO_KEEPALIVE=1, TCP_KEEPIDLE=300, TCP_KEEPINTVL=30, TCP_KEEPCNT=5",
    ],
    "no-keepalive haproxy": [
      "no-keepalive critical\nidle 6m40s > aws 350s idle timeout, no keepalive: the middlebox has likely dropped this flow\nHAProxy: option clitcpka / option srvtcpka with clitcpka-idle 300s, clitcpka-intvl 30s, clitcpka-cnt 5 (srvtcpka-* for servers); or in code: setsockopt SO_KEEPALIVE=1, TCP_KEEPIDLE=300, TCP_KEEPINTVL=30, TCP_KEEPCNT=5",
    ],
    "no-keepalive redis-server": [
      "no-keepalive critical\nidle 6m40s > aws 350s idle timeout, no keepalive: the middlebox has likely dropped this flow\nredis.conf: tcp-keepalive 300 (or CONFIG SET tcp-keepalive 300); or in code: setsockopt SO_KEEPALIVE=1, TCP_KEEPIDLE=300, TCP_KEEPINTVL=30, TCP_KEEPCNT=5",
    ],
    "no-keepalive nodejs": [
      "no-keepalive critical\nidle 6m40s > aws 350s idle timeout, no keepalive: the middlebox has likely dropped this flow\nNode.js: socket.setKeepAlive(true, 300000); or in code: setsockopt SO_KEEPALIVE=1, TCP_KEEPIDLE=300, TCP_KEEPINTVL=30, TCP_KEEPCNT=5",
    ],
    "no-keepalive python3.11": [
      "no-keepalive critical\nidle 6m40s > aws 350s idle timeout, no keepalive: the middlebox has likely dropped this flow\nPython: sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1) and socket.TCP_KEEPIDLE 300, TCP_KEEPINTVL 30, TCP_KEEPCNT 5 (IPPROTO_TCP); or in code: setsockopt SO_KEEPALIVE=1, TCP_KEEPIDLE=300, TCP_KEEPINTVL=30, TCP_KEEPCNT=5",
    ],
    "no-keepalive gcp-nat, postgres": [
      "no-keepalive warning\nidle 15m00s of gcp-nat 1200s idle timeout, no keepalive: dropped if idle 5m00s more\nPostgreSQL: tcp_keepalives_idle = 300, tcp_keepalives_interval = 30, tcp_keepalives_count = 5 in postgresql.conf, then SELECT pg_reload_conf(); or in code: setsockopt SO_KEEPALIVE=1, TCP_KEEPIDLE=300, TCP_KEEPINTVL=30, TCP_KEEPCNT=5",
    ],
    "too-slow system warning": [
      "keepalive-too-slow warning\nfirst keepalive probe after 7200s idle (system default) >= aws 350s idle timeout: the middlebox forgets the flow first\nsysctl -w net.ipv4.tcp_keepalive_time=300 net.ipv4.tcp_keepalive_intvl=30 net.ipv4.tcp_keepalive_probes=5 (persist in /etc/sysctl.d/)",
    ],
    "too-slow system critical, nginx": [
      "keepalive-too-slow critical\nfirst keepalive probe after 7200s idle (system default) >= aws 350s idle timeout, idle 6m40s already: the middlebox has likely dropped this flow\nnginx: listen ... so_keepalive=300s:30s:5 for clients; proxy_socket_keepalive on (system timers) for upstreams; or sysctl -w net.ipv4.tcp_keepalive_time=300 net.ipv4.tcp_keepalive_intvl=30 net.ipv4.tcp_keepalive_probes=5 (persist in /etc/sysctl.d/)",
    ],
    "too-slow socket warning, own keepidle": [
      "keepalive-too-slow warning\nfirst keepalive probe after 7000s idle >= aws 350s idle timeout: the middlebox forgets the flow first\napp (pid 4242) sets TCP_KEEPIDLE=7000 itself: setsockopt SO_KEEPALIVE=1, TCP_KEEPIDLE=300, TCP_KEEPINTVL=30, TCP_KEEPCNT=5",
    ],
    "too-slow socket critical, custom, no owner": [
      "keepalive-too-slow critical\nfirst keepalive probe after 45s idle >= custom 2s idle timeout, idle 3s already: the middlebox has likely dropped this flow\nthe owning process sets TCP_KEEPIDLE=45 itself: setsockopt SO_KEEPALIVE=1, TCP_KEEPIDLE=1, TCP_KEEPINTVL=1, TCP_KEEPCNT=5",
    ],
    "too-slow socket = sysctl, mysql": [
      "keepalive-too-slow warning\nfirst keepalive probe after 7200s idle >= aws 350s idle timeout: the middlebox forgets the flow first\nthe MySQL / MariaDB client library turns SO_KEEPALIVE on with the system timers: sysctl -w net.ipv4.tcp_keepalive_time=300 net.ipv4.tcp_keepalive_intvl=30 net.ipv4.tcp_keepalive_probes=5 (persist in /etc/sysctl.d/)",
    ],
    "too-slow socket, redis, cgnat": [
      "keepalive-too-slow warning\nfirst keepalive probe after 600s idle >= cgnat 300s idle timeout: the middlebox forgets the flow first\nredis.conf: tcp-keepalive 240 (or CONFIG SET tcp-keepalive 240); or redis-server (pid 4242) sets TCP_KEEPIDLE=600 itself: setsockopt SO_KEEPALIVE=1, TCP_KEEPIDLE=240, TCP_KEEPINTVL=30, TCP_KEEPCNT=5",
    ],
    "probes warning": [
      "keepalive-too-slow critical\nfirst keepalive probe after 7200s idle (system default) >= aws 350s idle timeout, idle 2h01m already: the middlebox has likely dropped this flow\nsysctl -w net.ipv4.tcp_keepalive_time=300 net.ipv4.tcp_keepalive_intvl=30 net.ipv4.tcp_keepalive_probes=5 (persist in /etc/sysctl.d/)",
      "probes-unanswered warning\n1 of 9 keepalive probes unanswered (every 75s): declared dead in 11m15s unless the peer answers\ncheck that the peer host and the path to it are up; a middlebox that already forgot the flow drops the probes: keep keepidle below its timeout (the owning process will see ETIMEDOUT)",
    ],
    "probes critical, owner": [
      "keepalive-too-slow critical\nfirst keepalive probe after 7200s idle (system default) >= aws 350s idle timeout, idle 2h10m already: the middlebox has likely dropped this flow\nssh: ServerAliveInterval 60 and ServerAliveCountMax 5 in ~/.ssh/config; or sysctl -w net.ipv4.tcp_keepalive_time=300 net.ipv4.tcp_keepalive_intvl=30 net.ipv4.tcp_keepalive_probes=5 (persist in /etc/sysctl.d/)",
      "probes-unanswered critical\n8 of 9 keepalive probes unanswered (every 75s): declared dead in 2m30s unless the peer answers\ncheck that the peer host and the path to it are up; a middlebox that already forgot the flow drops the probes: keep keepidle below its timeout (ssh (pid 7) will see ETIMEDOUT)",
    ],
    "probes socket": [
      "probes-unanswered critical\n2 of 3 keepalive probes unanswered (every 10s): declared dead in 15s unless the peer answers\ncheck that the peer host and the path to it are up; a middlebox that already forgot the flow drops the probes: keep keepidle below its timeout (app (pid 4242) will see ETIMEDOUT)",
    ],
    "retransmitting warning": [
      "retransmitting warning\n2 retransmission timeouts unanswered (rto 204ms): peer or path not acknowledging, abort in ~15m29s\ncheck the peer and the path (packet loss, a firewall or NAT that forgot the flow); set TCP_USER_TIMEOUT (ms) to give up sooner than tcp_retries2",
    ],
    "retransmitting critical, send-q, user timeout": [
      "retransmitting critical\n7 retransmission timeouts unanswered (rto 2m00s), send-q 4096: peer or path not acknowledging, abort in ~0ms\ncheck the peer and the path (packet loss, a firewall or NAT that forgot the flow); TCP_USER_TIMEOUT=30000ms bounds the wait",
    ],
    "retransmitting, no tcp_info": [
      "retransmitting warning\n3 retransmission timeouts unanswered: peer or path not acknowledging, abort in ~15m22s\ncheck the peer and the path (packet loss, a firewall or NAT that forgot the flow); set TCP_USER_TIMEOUT (ms) to give up sooner than tcp_retries2",
    ],
    "retransmitting syn-sent": [
      "retransmitting warning\n3 retransmission timeouts unanswered: peer or path not acknowledging\ncheck the peer and the path (packet loss, a firewall or NAT that forgot the flow); set TCP_USER_TIMEOUT (ms) to give up sooner than tcp_retries2",
    ],
    "zero-window persist": [
      "zero-window critical\npeer advertises a zero window (3 zero-window probes out, send-q 100): the peer application is not reading\nthe peer application is not reading its socket: find why it stalls; java (pid 4242) should bound its writes with a timeout (TCP_USER_TIMEOUT covers a dead peer)",
    ],
    "zero-window closed window": [
      "zero-window warning\npeer advertises a zero window (snd_wnd 0, send-q 2000000): the peer application is not reading\nthe peer application is not reading its socket: find why it stalls; the owning process should bound its writes with a timeout (TCP_USER_TIMEOUT covers a dead peer)",
    ],
    "close-wait owner, idle, recv-q": [
      "close-wait warning\npeer closed the connection; java (pid 4242) has not closed its socket (idle 1m05s, recv-q 12 unread)\njava (pid 4242) must close() this socket: the peer has closed its side; look for a connection leaked by a pool or an error path that skips close",
    ],
    "close-wait idle only": [
      "close-wait warning\npeer closed the connection; the owning process has not closed its socket (idle 500ms)\nthe owning process must close() this socket: the peer has closed its side; look for a connection leaked by a pool or an error path that skips close",
    ],
    "close-wait nothing known": [
      "close-wait warning\npeer closed the connection; the owning process has not closed its socket\nthe owning process must close() this socket: the peer has closed its side; look for a connection leaked by a pool or an error path that skips close",
    ],
    "close-wait recv-q only": [
      "close-wait warning\npeer closed the connection; node (pid 1) has not closed its socket (recv-q 1 unread)\nnode (pid 1) must close() this socket: the peer has closed its side; look for a connection leaked by a pool or an error path that skips close",
    ],
  ]
}
