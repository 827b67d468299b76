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
}
