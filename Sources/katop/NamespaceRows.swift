// `--netns all|NAME|PID|PATH` with --once: every namespace asked for is collected on a thread of
// its own (NetworkNamespaces.collect), analysed against its own sysctls, and its rows labelled
// with it (JSON per connection `netns`, `system.namespaces`; docs/json.md).
import ArgumentParser
import Glibc
import KatopModel
import SockDiag

extension Katop {
  /// katop's own namespace alone (the report without --netns).
  static func ownNamespace(system: SystemInfo, connections: Int) -> NamespaceMap? {
    guard let own = NetworkNamespaces.own() else { return nil }
    let facts = NamespaceFacts(
      label: NetworkNamespaces.label(of: own), pid: own.pid, own: true, system: system,
      conntrackEstablishedTimeout: HostFacts.conntrackEstablishedTimeout(), connections: connections)
    return NamespaceMap(namespaces: [facts], defaultIndex: 0)
  }

  /// Every namespace's settings (the TUI's N view): all of them as root, else katop's own;
  /// judged by netns-default-keepalive.
  static func namespaceFacts() -> [NamespaceFacts] {
    let refs = geteuid() == 0 ? NetworkNamespaces.list() : NetworkNamespaces.own().map { [$0] } ?? []
    var map = NamespaceMap(namespaces: refs.compactMap { try? NetworkNamespaces.facts($0) })
    map.evaluateRules()
    return map.namespaces
  }

  /// After the --once table with --netns: one line per namespace with its own settings and the
  /// namespace rule (the rows themselves are labelled in JSON, `netns`).
  static func namespaceSection(_ map: NamespaceMap) -> String {
    var lines = ["", "network namespaces (keepalive time/intvl/probes, tcp_retries2, conntrack established timeout, TCP sockets listed):"]
    for ns in map.namespaces {
      let s = ns.system
      var line = "\(ns.own ? "*" : " ") \(ns.label.display) (inode \(ns.label.inode)"
      if let c = ns.label.container, ns.label.name != nil { line += ", \(c)" }
      if let pid = ns.pid { line += ", pid \(pid)" }
      line += "): keepalive \(s.keepaliveTime)/\(s.keepaliveInterval)/\(s.keepaliveProbes), tcp_retries2 \(s.tcpRetries2), conntrack "
      line += ns.conntrackEstablishedTimeout.map { "\($0)s" } ?? "-"
      line += ", \(ns.connections) sockets"
      lines.append(line)
      for risk in ns.risks { lines += ["    \(risk.id.rawValue): \(risk.message)", "    fix: \(risk.fix)"] }
    }
    return lines.joined(separator: "\n")
  }

  func namespaceRefs(_ spec: String) throws -> [NetnsRef] {
    guard spec == "all" else { return [try NetworkNamespaces.resolve(spec)] }
    guard geteuid() == 0 else { throw ValidationError("--netns all needs root (setns needs CAP_SYS_ADMIN)") }
    return NetworkNamespaces.list()
  }

  func collectNamespaceRows(_ spec: String) throws -> OneSnapshot {
    let refs = try namespaceRefs(spec)
    let resolution = profileResolution
    var context = reportContext(resolution, activity: nil)
    var map = NamespaceMap()
    var rows: [Connection] = []
    var main: Snapshot?
    let listeners = request.states & TCPState.listen.mask != 0
    for ref in refs {
      let collected: (snapshot: Snapshot, conntrackTimeout: Int?)
      do {
        collected = try NetworkNamespaces.collect(ref, request: request)
      } catch let error as NetnsError where spec == "all" {
        _ = error  // a namespace gone since it was listed (its last process exited): skip it
        continue
      }
      let snapshot = collected.snapshot
      context.flow.listeningPorts = FlowContext.listeningPorts(snapshot.sockets, listenersCollected: listeners)
      var nsRows = Analyzer.analyze(snapshot, profile: resolution.profile, workers: Parallel.workerCount)
      Analyzer.reevaluate(&nsRows, context: context.flow, system: snapshot.system)
      map.namespaces.append(
        NamespaceFacts(
          label: NetworkNamespaces.label(of: ref), pid: ref.pid, own: ref.own, system: snapshot.system,
          conntrackEstablishedTimeout: collected.conntrackTimeout, connections: nsRows.count))
      map.assign(nsRows.map(\.record.cookie), to: map.namespaces.count - 1)
      if ref.own || main == nil { main = Snapshot(system: snapshot.system, status: snapshot.status, sockets: []) }
      rows += nsRows
    }
    map.evaluateRules()
    context.namespaces = map
    let filter = self.filter
    if !filter.isEmpty { rows.removeAll { !filter.matches($0) } }
    sortOrder.sort(&rows)
    let system = main?.system ?? SystemInfo()
    return OneSnapshot(system: system, status: main?.status ?? CollectorStatus(), rows: rows, context: context)
  }
}
