import XCTest

@testable import KatopModel

/// The container of a namespace from a process's /proc/PID/cgroup, and the rule
/// netns-default-keepalive.
final class NamespaceTests: XCTestCase {
  func testContainerFromCgroupPaths() {
    let id = "3f2a9c1b7d4e5f60718293a4b5c6d7e8f90123456789abcdef0123456789abcd"
    let cases: [(String, String?)] = [
      ("0::/system.slice/docker-\(id).scope\n", "docker 3f2a9c1b7d4e"),
      ("12:pids:/docker/\(id)\n11:cpu:/docker/\(id)\n", "docker 3f2a9c1b7d4e"),
      ("0::/system.slice/containerd.service/cri-containerd-\(id).scope", "containerd 3f2a9c1b7d4e"),
      (
        "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1a2b3c4d_0000_1111_2222_333344445555.slice/cri-containerd-\(id).scope",
        "containerd 3f2a9c1b7d4e (pod 1a2b3c4d-0000-1111-2222-333344445555)"
      ),
      ("0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod9f_8e.slice/crio-\(id).scope", "cri-o 3f2a9c1b7d4e (pod 9f-8e)"),
      ("4:memory:/kubepods/burstable/pod1234-5678/\(id)\n", "container 3f2a9c1b7d4e (pod 1234-5678)"),
      ("0::/kubepods.slice/kubepods-pod77.slice", "pod 77"),
      ("0::/machine.slice/libpod-\(id).scope/container", "podman 3f2a9c1b7d4e"),
      ("0::/user.slice/user-1000.slice/user@1000.service/app.slice/libpod-\(id).scope", "podman 3f2a9c1b7d4e"),
      ("0::/system.slice/nginx.service\n", "nginx.service"),
      ("0::/init.scope\n", nil),
      ("0::/\n", nil),
      ("0::/user.slice/user-1000.slice/session-3.scope\n", nil),
      ("", nil),
      ("0::/system.slice/docker-nothex.scope", nil),
    ]
    for (text, want) in cases {
      XCTAssertEqual(CgroupParser.container(fromCgroup: text), want, text)
    }
  }

  func facts(_ time: Int, _ intvl: Int, _ probes: Int, own: Bool, name: String? = nil) -> NamespaceFacts {
    var s = SystemInfo()
    (s.keepaliveTime, s.keepaliveInterval, s.keepaliveProbes) = (time, intvl, probes)
    return NamespaceFacts(
      label: NamespaceLabel(inode: UInt64(time), name: name), pid: nil, own: own, system: s, conntrackEstablishedTimeout: nil,
      connections: 1)
  }

  func testDefaultKeepaliveFlaggedOnlyWhereTheHostIsTuned() {
    var map = NamespaceMap(namespaces: [facts(120, 10, 3, own: true), facts(7200, 75, 9, own: false, name: "web"), facts(300, 30, 5, own: false)])
    map.evaluateRules()
    XCTAssertEqual(map.namespaces.map { $0.risks.map(\.id) }, [[], [.netnsDefaultKeepalive], []])
    let risk = map.namespaces[1].risks[0]
    XCTAssertEqual(risk.severity, .warning)
    XCTAssertTrue(risk.message.contains("web") && risk.message.contains("120/10/3"), risk.message)
    XCTAssertTrue(risk.fix.contains("--sysctl net.ipv4.tcp_keepalive_time=120"), risk.fix)
    XCTAssertTrue(risk.fix.contains("securityContext.sysctls"), risk.fix)
    XCTAssertTrue(risk.fix.contains("ip netns exec web"), risk.fix)

    var untuned = NamespaceMap(namespaces: [facts(7200, 75, 9, own: true), facts(7200, 75, 9, own: false)])
    untuned.evaluateRules()
    XCTAssertTrue(untuned.namespaces.allSatisfy { $0.risks.isEmpty }, "an untuned host flags nothing")
  }

  func testLabelsByCookie() {
    var map = NamespaceMap(namespaces: [facts(120, 10, 3, own: true), facts(7200, 75, 9, own: false, name: "web")])
    map.assign([1, 2], to: 0)
    map.assign([3], to: 1)
    XCTAssertEqual(map.label(of: 3)?.name, "web")
    XCTAssertEqual(map.label(of: 1)?.inode, 120)
    XCTAssertNil(map.label(of: 4))
    XCTAssertEqual(NamespaceLabel(inode: 42).display, "netns:[42]")
  }
}
