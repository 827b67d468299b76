// What a report says beyond the snapshot: the flow budgets in force, how profile auto decided,
// and the network namespace katop ran in (JSON `flow`, `system.profile.detected`, `system.netns`).

/// The network namespace of the katop process (JSON `system.netns`).
public struct NetnsInfo: Hashable, Sendable {
  /// Inode of /proc/self/ns/net.
  public var inode: UInt64
  /// True / false when /proc/1/ns/net could be compared; nil when not readable (not root).
  public var isHost: Bool?
  public init(inode: UInt64, isHost: Bool?) {
    self.inode = inode
    self.isHost = isHost
  }
}

public struct ReportContext: Sendable {
  public var flow: FlowContext
  /// Set when the profile is `auto`.
  public var detection: CloudDetection?
  public var netns: NetnsInfo?
  /// The kernel's HZ and where it came from (nil: unknown, margins take the worst case).
  public var kernelHZ: KernelHZ?
  /// The namespaces listed and each connection's (JSON `system.namespaces`, per connection `netns`).
  public var namespaces: NamespaceMap?
  public init(flow: FlowContext, detection: CloudDetection? = nil, netns: NetnsInfo? = nil, namespaces: NamespaceMap? = nil) {
    self.flow = flow
    self.detection = detection
    self.netns = netns
    self.namespaces = namespaces
  }
}

extension JSONReport {
  static func writeFlow(_ w: JSONWriter, _ c: Connection, _ context: FlowContext) {
    let v = FlowBudget.verdict(c, context: context)
    w.beginObject()
    w.key("idleMs"); w.int(v.idleMs)
    w.key("timeoutSeconds"); w.int(v.timeoutSeconds)
    w.key("budget"); w.string(v.budget.rawValue)
    w.key("profile"); w.string(v.profile?.name)
    w.key("cutInMs"); w.int(v.cutInMs)
    w.key("keptAliveBy"); w.string(v.keptAliveBy?.rawValue)
    w.key("keepaliveArrivesMs"); w.int(v.keepaliveArrivesMs)
    w.key("side"); w.string(v.side?.rawValue)
    w.endObject()
  }

  static func writeConntrack(_ w: JSONWriter, _ c: Connection, _ context: FlowContext?) {
    guard let context, let e = FlowBudget.verdict(c, context: context).conntrack else { return w.null() }
    w.beginObject()
    w.key("state"); w.string(e.state)
    w.key("timeoutSeconds"); w.int(e.timeoutSeconds)
    w.endObject()
  }

  static func writeContextSystem(_ w: JSONWriter, _ context: ReportContext?) {
    w.key("kernelHz")
    w.object(context?.kernelHZ) { hz in
      w.key("hz"); w.int(hz.hz)
      w.key("from"); w.string(hz.from)
    }
    w.key("netns")
    w.object(context?.netns) { n in
      w.key("inode"); w.int(n.inode)
      w.key("isHost"); w.bool(n.isHost)
    }
    w.key("namespaces")
    w.beginArray()
    for ns in context?.namespaces?.namespaces ?? [] { writeNamespace(w, ns) }
    w.endArray()
  }

  static func writeNamespace(_ w: JSONWriter, _ ns: NamespaceFacts) {
    w.beginObject()
    writeLabelFields(w, ns.label)
    w.key("pid"); w.int(ns.pid)
    w.key("own"); w.bool(ns.own)
    w.key("keepalive")
    w.beginObject()
    w.key("time"); w.int(ns.system.keepaliveTime)
    w.key("intvl"); w.int(ns.system.keepaliveInterval)
    w.key("probes"); w.int(ns.system.keepaliveProbes)
    w.endObject()
    w.key("tcpRetries2"); w.int(ns.system.tcpRetries2)
    w.key("conntrack")
    w.beginObject()
    w.key("establishedTimeout"); w.int(ns.conntrackEstablishedTimeout)
    w.endObject()
    w.key("connections"); w.int(ns.connections)
    writeRisks(w, ns.risks)
    w.endObject()
  }

  /// `"netns": {"inode": N, "name": S|null, "container": S|null}` (null: not known).
  static func writeNetns(_ w: JSONWriter, _ label: NamespaceLabel?) {
    w.key("netns")
    guard let label else { return w.null() }
    w.beginObject()
    writeLabelFields(w, label)
    w.endObject()
  }

  static func writeLabelFields(_ w: JSONWriter, _ l: NamespaceLabel) {
    w.key("inode"); w.int(l.inode)
    w.key("name"); w.string(l.name)
    w.key("container"); w.string(l.container)
  }
}

/// A flow's 4-tuple as seen from one end (for the conntrack join).
public struct FlowKey: Hashable, Sendable {
  public var local: Endpoint
  public var remote: Endpoint
  public init(local: Endpoint, remote: Endpoint) {
    self.local = local
    self.remote = remote
  }
  public var reversed: FlowKey { FlowKey(local: remote, remote: local) }
}

/// This host's conntrack entry for a flow (JSON `conntrack`).
public struct ConntrackEntry: Hashable, Sendable {
  /// TCP conntrack state: `ESTABLISHED`, `CLOSE_WAIT` ...
  public var state: String
  /// Seconds until the entry expires (CTA_TIMEOUT), as `conntrack -L` shows.
  public var timeoutSeconds: Int
  public init(state: String, timeoutSeconds: Int) {
    self.state = state
    self.timeoutSeconds = timeoutSeconds
  }
}
