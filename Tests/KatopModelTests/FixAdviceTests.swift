// Fix advice for MariaDB / MySQL clients and servers: the client gets the client library's
// advice (not [mysqld]), and the sysctl line is said once.
import XCTest

@testable import KatopModel

final class FixAdviceTests: XCTestCase {
  func owner(_ command: String) -> RiskOwner { RiskOwner(Owner(pid: 77, command: command, uid: 0, fd: 4)) }

  func testMariadbClientsGetClientAdvice() {
    for client in ["mariadb", "mariadb-dump", "mysqldump", "mysql"] {
      XCTAssertEqual(FixAdvisor.application(command: client), .mysqlClient, client)
      let fix = FixAdvisor.shortenKeepidle(owner(client), keepidleSeconds: 7200, fromSystem: true, timeoutSeconds: 350)
      XCTAssertFalse(fix.contains("[mysqld]"), "\(client): \(fix)")
      XCTAssertTrue(fix.contains("client library"), "\(client): \(fix)")
    }
    XCTAssertEqual(FixAdvisor.application(command: "mariadbd"), .mariadbd)
  }

  func testSysctlLineAppearsOnce() {
    let sysctl = FixAdvisor.sysctlCommand(FixAdvisor.recommended(timeoutSeconds: 350))
    for command in ["mariadbd", "mysqld", "mariadb", "unknown-app"] {
      let fix = FixAdvisor.shortenKeepidle(owner(command), keepidleSeconds: 7200, fromSystem: true, timeoutSeconds: 350)
      XCTAssertEqual(fix.components(separatedBy: sysctl).count - 1, 1, "\(command): \(fix)")
    }
  }

  func testProbesUnansweredIsCriticalWhenTheNextRunAbortsOnUserTimeout() {
    // 1 of 9 probes out, 30 s idle; the keepalive timer runs again in 5 s.
    let r = Fixture.record(timer: .keepalive, expiresMs: 5000, count: 1, idleMs: 30_000)
    let plain = Fixture.connection(r, options: Fixture.options(true, 20, 10, 9))
    XCTAssertEqual(plain.risks.first { $0.id == .probesUnanswered }?.severity, .warning)
    // TCP_USER_TIMEOUT 32 s: at the next run idle is 35 s >= 32 s with a probe out: it aborts.
    let bounded = Fixture.connection(r, options: Fixture.options(true, 20, 10, 9, userTimeoutMs: 32_000))
    XCTAssertEqual(bounded.risks.first { $0.id == .probesUnanswered }?.severity, .critical)
    // 40 s: not yet at the next run.
    let later = Fixture.connection(r, options: Fixture.options(true, 20, 10, 9, userTimeoutMs: 40_000))
    XCTAssertEqual(later.risks.first { $0.id == .probesUnanswered }?.severity, .warning)
  }
}
