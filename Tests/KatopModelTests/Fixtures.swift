import KatopModel

/// Builders for socket records and connections used across the model tests.
enum Fixture {
  static let local = Endpoint(address: .v4(127, 0, 0, 1), port: 40000)
  static let remote = Endpoint(address: .v4(127, 0, 0, 1), port: 5432)

  static func info(idleMs: UInt32, rtoUs: UInt32 = 204_000, backoff: UInt8 = 0, retransmits: UInt8 = 0) -> TCPInfo {
    var i = TCPInfo()
    i.lastDataRecvMs = idleMs
    i.lastAckRecvMs = idleMs
    i.rtoUs = rtoUs
    i.backoff = backoff
    i.retransmits = retransmits
    i.length = 232
    return i
  }

  static func record(
    state: TCPState = .established, timer: TimerKind = .off, expiresMs: UInt32 = 0, count: UInt8 = 0,
    idleMs: UInt32? = 0, inode: UInt32 = 1000, cookie: UInt64 = 1, sendQueue: UInt32 = 0,
    recvQueue: UInt32 = 0, info: TCPInfo? = nil, local: Endpoint = local, remote: Endpoint = remote
  ) -> SocketRecord {
    SocketRecord(
      family: 2, state: state, local: local, remote: remote, timer: timer, timerExpiresMs: expiresMs,
      timerCount: count, recvQueue: recvQueue, sendQueue: sendQueue, uid: 1000, inode: inode,
      cookie: cookie, info: info ?? idleMs.map { Fixture.info(idleMs: $0) })
  }

  static func options(_ on: Bool, _ idle: Int, _ intvl: Int, _ probes: Int, userTimeoutMs: Int = 0) -> SocketOptions {
    SocketOptions(keepalive: on, idleSeconds: idle, intervalSeconds: intvl, probes: probes, userTimeoutMs: userTimeoutMs)
  }

  static func connection(
    _ record: SocketRecord, options: SocketOptions? = nil, owner: Owner? = nil,
    profile: MiddleboxProfile = .aws, system: SystemInfo = SystemInfo()
  ) -> Connection {
    var snapshot = Snapshot(system: system, sockets: [record])
    if let o = options { snapshot.options[record.inode] = o }
    if let o = owner { snapshot.owners[record.inode] = o }
    return Analyzer.analyze(snapshot, profile: profile)[0]
  }
}
