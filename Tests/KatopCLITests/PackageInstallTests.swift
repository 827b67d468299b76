// Issue 14: the Debian package (.ci/package deb) installs and runs on a clean Debian 12 root
// without the Swift toolchain: apt resolves its Depends, then katop --version, --once, the man
// page, --theme from the install prefix, a metrics scrape; ldd shows no Swift library.
// Needs root, the package (.build/deb/katop_*.deb or $KATOP_DEB) and the clean root
// (.ci/test-root, cached at /var/cache/katop-test-root or $KATOP_TEST_ROOT); CI makes both.
import Foundation
import XCTest

final class PackageInstallTests: XCTestCase {
  static var deb: String? {
    if let path = ProcessInfo.processInfo.environment["KATOP_DEB"] { return path }
    let dir = repoRoot + "/.build/deb"
    let debs = (try? FileManager.default.contentsOfDirectory(atPath: dir))?.filter { $0.hasPrefix("katop_") && $0.hasSuffix(".deb") }
    return debs?.sorted().last.map { dir + "/" + $0 }
  }

  func sh(_ script: String, _ args: [String] = [], timeout: TimeInterval = 300) throws -> RunResult {
    try runProcess("/bin/sh", ["-c", script, "sh"] + args, timeout: timeout)
  }

  func testPackageInstallsAndRunsOnACleanRoot() throws {
    guard getuid() == 0 else { throw XCTSkip("needs root (mount, chroot)") }
    guard let deb = Self.deb, FileManager.default.fileExists(atPath: deb) else {
      throw XCTSkip("no package: run .ci/package deb first")
    }
    let clean = ProcessInfo.processInfo.environment["KATOP_TEST_ROOT"] ?? "/var/cache/katop-test-root"
    guard FileManager.default.isExecutableFile(atPath: clean + "/usr/bin/man") else {
      throw XCTSkip("no clean Debian root at \(clean): run .ci/test-root first")
    }
    // A throw-away copy of the clean root: an overlay on it (or a plain copy without overlayfs).
    let work = NSTemporaryDirectory() + "katop-root-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    let root = work + "/merged"
    for d in ["upper", "work", "merged"] { try FileManager.default.createDirectory(atPath: work + "/" + d, withIntermediateDirectories: true) }
    addTeardownBlock { [self] in
      _ = try? sh("umount \"$1/proc\" 2>/dev/null; umount \"$1\" 2>/dev/null; rm -rf \"$2\"", [root, work])
    }
    let overlay = try sh("mount -t overlay overlay -o lowerdir=\"$1\",upperdir=\"$2/upper\",workdir=\"$2/work\" \"$3\"", [clean, work, root])
    if overlay.status != 0 {
      XCTAssertEqual(try sh("cp -a \"$1/.\" \"$2\"", [clean, root]).status, 0)
    }
    XCTAssertEqual(try sh("mount -t proc proc \"$1/proc\" && cp /etc/resolv.conf \"$1/etc/resolv.conf\" && cp \"$2\" \"$1/tmp/katop.deb\"", [root, deb]).status, 0)
    func inRoot(_ command: String) throws -> RunResult {
      try runProcess("/usr/sbin/chroot", [root, "/usr/bin/env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "TERM=dumb", "/bin/sh", "-c", command], timeout: 300)
    }
    // No Swift in the root, before or after.
    XCTAssertNotEqual(try inRoot("command -v swift swiftc").status, 0, "the clean root has a Swift toolchain")
    let install = try inRoot("DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends /tmp/katop.deb </dev/null 2>&1")
    XCTAssertEqual(install.status, 0, install.stdout)
    let version = try inRoot("command -v katop && katop --version")
    XCTAssertEqual(version.status, 0, version.stderr)
    XCTAssertEqual(version.stdout, "/usr/bin/katop\nkatop 0.1.0\n")
    let once = try inRoot("katop --once")
    XCTAssertEqual(once.status, 0, once.stderr)
    XCTAssertTrue(once.stdout.hasPrefix("katop - "), once.stdout)
    XCTAssertTrue(once.stdout.contains("\nconnections: "), once.stdout)
    let man = try inRoot("MANWIDTH=90 MANPAGER=cat man -l /usr/share/man/man1/katop.1.gz && man -w katop")
    XCTAssertEqual(man.status, 0, man.stderr)
    XCTAssertTrue(man.stdout.contains("--print-config") && man.stdout.contains("/usr/share/man/man1/katop.1.gz"), man.stdout)
    let ldd = try inRoot("ldd /usr/bin/katop")
    XCTAssertEqual(ldd.status, 0, ldd.stderr)
    XCTAssertFalse(ldd.stdout.lowercased().contains("swift"), ldd.stdout)
    XCTAssertFalse(ldd.stdout.contains("not found"), ldd.stdout)
    let theme = try inRoot("cd /tmp && katop --print-config --theme light | grep '^theme'")
    XCTAssertTrue(theme.stdout.contains("(/usr/share/katop/themes/light.theme)"), theme.stdout + theme.stderr)
    let completions = try inRoot("ls /usr/share/bash-completion/completions/katop /usr/share/zsh/vendor-completions/_katop /usr/share/fish/vendor_completions.d/katop.fish")
    XCTAssertEqual(completions.status, 0, completions.stderr)
    let scrape = try inRoot("katop --once --format prometheus")
    XCTAssertEqual(scrape.status, 0, scrape.stderr)
    XCTAssertTrue(scrape.stdout.contains("\nkatop_connections{state=\"established\"} "), scrape.stdout)
    _ = try parseMetrics(scrape.stdout)
    let depends = try inRoot("dpkg-query -W -f '${Depends}' katop")
    func head(_ text: String, _ n: Int) -> String { text.split(separator: "\n").prefix(n).joined(separator: "\n") }
    var log = "package install on a clean Debian 12 root:\n" + String(install.stdout.suffix(600))
    log += "\n$ katop --version\n" + version.stdout
    log += "$ ldd /usr/bin/katop\n" + ldd.stdout + "Depends: " + depends.stdout
    log += "\n$ katop --once | head -4\n" + head(once.stdout, 4)
    log += "\n$ man -l (first lines)\n" + head(man.stdout, 6)
    log += "\n$ katop --once --format prometheus | head -12\n" + head(scrape.stdout, 12)
    print(log)
  }
}
