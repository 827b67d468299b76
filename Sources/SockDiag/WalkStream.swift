// A walk of the whole table handed on in parts while the dump goes on (Collector.collect(_:
// partSize:parts:)): the TUI merges each part into its store, so a walk's 100k records never sit
// in one array next to the store's 100k rows (docs/performance.md).
//
// A part carries the owners the scanner already knows (its table, shared) and the settings read
// for the part's sockets through them. What a part cannot know, the owner of a socket that is new
// since the last owner scan, comes at the walk's end: one owner scan for the whole walk (the same
// rescan rule as a snapshot's: only when an inode is unknown), then the settings of those sockets.

import KatopModel

final class WalkStream {
  private let request: CollectRequest
  private let system: SystemInfo
  private let expected: Int
  private let partSize: Int
  private let nowMs: UInt64
  private let deliver: (WalkPart) -> Void
  private let ownerScanner: OwnerScanner
  private let optionsReader: SocketOptionsReader
  /// Records handed on so far.
  private(set) var count = 0
  /// Every socket inode of the walk (the owner scan's wanted set at the end).
  private var inodes: [UInt32] = []
  /// Sockets handed on without a known owner: their settings are read at the end.
  private var ownerless: [SocketOptionsReader.Target] = []

  init(
    request: CollectRequest, system: SystemInfo, expected: Int, partSize: Int, nowMs: UInt64,
    deliver: @escaping (WalkPart) -> Void, owners: OwnerScanner, options: SocketOptionsReader
  ) {
    self.request = request
    self.system = system
    self.expected = expected
    self.partSize = partSize
    self.nowMs = nowMs
    self.deliver = deliver
    ownerScanner = owners
    optionsReader = options
    inodes.reserveCapacity(expected)
    if request.socketOptions { options.beginWalk() }
  }

  /// After each datagram: hands the records on once there are a part's worth.
  var flush: RecordFlush {
    { [self] records in if records.count >= partSize { hand(&records) } }
  }

  /// Hands `records` on as a part and empties the array.
  func hand(_ records: inout [SocketRecord]) {
    guard !records.isEmpty else { return }
    count += records.count
    let wantsOwners = request.owners || request.socketOptions
    let owners = wantsOwners ? ownerScanner.knownOwners : [:]
    for r in records where r.inode != 0 {
      inodes.append(r.inode)
      if wantsOwners && owners[r.inode] == nil { ownerless.append(SocketOptionsReader.Target(r)) }
    }
    var options: [UInt32: SocketOptions] = [:]
    if request.socketOptions {
      options = optionsReader.options(
        for: records.lazy.map(SocketOptionsReader.Target.init), count: records.count, owners: owners, nowMs: nowMs)
    }
    let part = WalkPart(
      records: records, owners: request.owners ? owners : [:], options: options, system: system,
      expectedCount: expected)
    // A fresh buffer: the receiver may still be merging the part handed on.
    records = []
    records.reserveCapacity(partSize + partSize / 2)
    deliver(part)
  }

  /// The walk's end: owners of every socket (one owner scan when a part held an unknown one),
  /// the settings of the sockets handed on without an owner and of `rest` (records not handed on).
  func finish(rest: [SocketRecord]) -> (owners: [UInt32: Owner], options: [UInt32: SocketOptions]) {
    finished = true
    guard request.owners || request.socketOptions else { return ([:], [:]) }
    for r in rest where r.inode != 0 {
      inodes.append(r.inode)
      ownerless.append(SocketOptionsReader.Target(r))
    }
    let owners = ownerScanner.owners(ofInodes: inodes, nowMs: nowMs)
    inodes = []
    var options: [UInt32: SocketOptions] = [:]
    if request.socketOptions {
      options = optionsReader.options(for: ownerless, count: ownerless.count, owners: owners, nowMs: nowMs)
      optionsReader.endWalk()
    }
    ownerless = []
    return (request.owners ? owners : [:], options)
  }

  private var finished = false

  /// The walk's socket inodes, once it finished without an owner scan (the TUI's quick first
  /// walk): the next walk scans owners for them before its dump, so its parts carry owners.
  func takeInodes() -> [UInt32] {
    defer { inodes = [] }
    return finished && !(request.owners || request.socketOptions) ? inodes : []
  }

  deinit {
    // A walk that failed half-way: the settings cache keeps its entries (none is dropped).
    if !finished && request.socketOptions { optionsReader.abandonWalk() }
  }
}
