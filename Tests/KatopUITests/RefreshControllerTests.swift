// The run loop without a terminal or a kernel: a manual clock, a scripted terminal and a
// collection double that records the jobs it is given.
import KatopModel
import Synchronization
import XCTest

@testable import KatopUI

final class ManualClock: Sendable {
  private let ms = Atomic<UInt64>(10_000)
  private let cpu = Atomic<UInt64>(0)
  var now: UInt64 { ms.load(ordering: .relaxed) }
  func advance(_ by: UInt64) { ms.add(by, ordering: .relaxed) }
  /// The UI thread's CPU clock moves by this much at each read pair (a merge costing `by` ms).
  func spendCPU(_ by: UInt64) { cpu.add(by, ordering: .relaxed) }
  var loopClock: LoopClock {
    LoopClock(nowMs: { self.ms.load(ordering: .relaxed) }, threadCPUMs: { self.cpu.load(ordering: .relaxed) })
  }
}

final class ScriptedTerminal: TerminalScreen {
  var size: (width: Int, height: Int) = (120, 30)
  var keys: [Key] = []
  var draws = 0
  var quitSignal: Int32 = 0
  func readKey(timeoutMs: Int32) -> Key? { keys.isEmpty ? nil : keys.removeFirst() }
  func draw(_ buffer: ScreenBuffer) { draws += 1 }
  func invalidate() {}
  func pendingQuitSignal() -> Int32 { quitSignal }
  func takeContinued() -> Bool { false }
}

/// Jobs are answered when the test says so, with what the test says.
final class ScriptedCollector: CollectionService {
  var jobs: [CollectionJob] = []
  var running: CollectionJob?
  var finished: CollectionOutput?
  func submit(_ job: CollectionJob) {
    jobs.append(job)
    running = job
  }
  func take() -> CollectionOutput? {
    defer { finished = nil }
    return finished
  }
  var isBusy: Bool { running != nil }
  /// Parts of a walk the running job hands on (taken in order), and how many were released.
  var parts: [(job: CollectionJob, part: WalkPart)] = []
  var released = 0
  func nextPart(waitMs: Int) -> (job: CollectionJob, part: WalkPart)? { parts.isEmpty ? nil : parts.removeFirst() }
  func partMerged() { released += 1 }
  /// Finishes the running job with `result`, costing `costMs`.
  func finish(_ result: Result<Snapshot, any Error>, costMs: UInt64 = 5) {
    guard let job = running else { return XCTFail("no job running") }
    running = nil
    finished = CollectionOutput(job: job, result: result, costMs: costMs)
  }
}

struct Refused: Error, CustomStringConvertible {
  var description: String { "netlink refused" }
}

final class RefreshControllerTests: XCTestCase {
  let clock = ManualClock()
  let terminal = ScriptedTerminal()
  let collector = ScriptedCollector()

  var snapshot: Snapshot { Snapshot(system: Fixtures.system, sockets: Fixtures.connections.map(\.record)) }

  func controller(_ state: AppState = AppState(), lookups: Bool = true) -> RefreshController {
    let c = RefreshController(state: state, renderer: Renderer(ascii: true), clock: clock.loopClock, lookupsBetweenWalks: lookups)
    c.start(collector)
    return c
  }

  func step(_ c: RefreshController) {
    XCTAssertNil(c.step(terminal: terminal, collector: collector, keyTimeoutMs: 0))
  }

  /// The first collection skips owners and settings; the full one follows at once, cold.
  func testQuickFirstFrameThenTheFullCollectionCold() {
    let c = controller()
    XCTAssertEqual(collector.jobs.count, 1)
    XCTAssertFalse(collector.jobs[0].request.owners)
    XCTAssertFalse(collector.jobs[0].request.socketOptions)
    step(c)
    XCTAssertEqual(collector.jobs.count, 1, "nothing new while the first one runs")
    collector.finish(.success(snapshot))
    step(c)
    XCTAssertEqual(c.state.rows.count, Fixtures.connections.count)
    XCTAssertEqual(collector.jobs.count, 2)
    XCTAssertTrue(collector.jobs[1].request.owners && collector.jobs[1].request.socketOptions)
    XCTAssertTrue(collector.jobs[1].cold)
    XCTAssertGreaterThan(terminal.draws, 0)
  }

  /// A walk handed on in parts: each is merged as it comes and released; the rows are shown
  /// once its output (the rest) is in: new rows stamped, rows no part carried closed.
  func testAWalkInPartsIsMergedAsItComesAndShownAtItsEnd() throws {
    let c = controller(AppState(baseRequest: CollectRequest(owners: false, socketOptions: false)))
    collector.finish(.success(snapshot))
    step(c)
    let before = c.state.rows.count
    clock.advance(1000)
    step(c)
    let job = try XCTUnwrap(collector.running)
    var records = Fixtures.connections.map(\.record)
    let gone = records.removeLast()
    var new = records[0]
    new.cookie = 999
    new.local.port = 50999
    collector.parts = [
      (job, WalkPart(records: Array(records.prefix(2)), system: Fixtures.system, expectedCount: records.count + 1)),
      (job, WalkPart(records: Array(records.dropFirst(2)) + [new], system: Fixtures.system)),
    ]
    collector.finish(.success(Snapshot(system: Fixtures.system, sockets: [])))
    step(c)
    XCTAssertEqual(collector.released, 2)
    XCTAssertFalse(c.state.store.isMergingWalk)
    XCTAssertEqual(c.state.rows.count, before + 1, "the new row, and the closed one lingering")
    let status = Dictionary(uniqueKeysWithValues: c.state.rows.map { ($0.cookie, $0.status) })
    XCTAssertEqual(status[999], .new)
    XCTAssertEqual(status[gone.cookie], .closed)
    XCTAssertEqual(status[records[0].cookie], .unchanged)
    XCTAssertEqual(c.state.counts.total, before)
  }

  /// Refreshes follow the interval, and the interval keys change it.
  func testIntervalAndIntervalKeys() {
    let c = controller(AppState(baseRequest: CollectRequest(owners: false, socketOptions: false)))
    collector.finish(.success(snapshot))
    step(c)
    XCTAssertEqual(collector.jobs.count, 1, "no full collection to follow: owners and settings are off")
    clock.advance(999)
    step(c)
    XCTAssertEqual(collector.jobs.count, 1)
    clock.advance(1)
    step(c)
    XCTAssertEqual(collector.jobs.count, 2)
    collector.finish(.success(snapshot))
    terminal.keys = [.char("+")]
    step(c)
    XCTAssertEqual(c.state.intervalMs, 2000)
    clock.advance(1500)
    step(c)
    XCTAssertEqual(collector.jobs.count, 2, "2 s now")
    clock.advance(500)
    step(c)
    XCTAssertEqual(collector.jobs.count, 3)
    collector.finish(.success(snapshot))
    terminal.keys = [.char("-"), .char("-")]
    step(c)
    XCTAssertEqual(c.state.intervalMs, 500)
    clock.advance(500)
    step(c)
    XCTAssertEqual(collector.jobs.count, 4)
  }

  func testPauseStopsRefreshesUntilResumed() {
    let c = controller(AppState(baseRequest: CollectRequest(owners: false, socketOptions: false)))
    collector.finish(.success(snapshot))
    terminal.keys = [.char(" ")]
    step(c)
    XCTAssertTrue(c.state.paused)
    clock.advance(10_000)
    step(c)
    XCTAssertEqual(collector.jobs.count, 1)
    terminal.keys = [.char(" ")]
    step(c)  // the key is read after scheduling: the refresh goes out on the next turn
    step(c)
    XCTAssertEqual(collector.jobs.count, 2)
  }

  /// A costly walk spaces the next walk by its cost; the rows on screen are looked up every
  /// interval meanwhile, without owners or settings (the store keeps those); the header says both.
  func testCostlyWalksAreSpacedAndRowsOnScreenAreLookedUpBetween() {
    let c = controller(AppState(baseRequest: CollectRequest(owners: false, socketOptions: false)))
    collector.finish(.success(snapshot), costMs: 300)
    step(c)
    XCTAssertEqual(c.walkSpacingMs, 300 * RefreshController.walkCostFactor)
    clock.advance(1000)
    step(c)
    XCTAssertEqual(collector.jobs.count, 2)
    let lookup = collector.jobs[1]
    XCTAssertEqual(Set(lookup.request.lookUp.map(\.cookie)), Set(Fixtures.connections.map(\.record.cookie)))
    XCTAssertFalse(lookup.request.owners)
    XCTAssertEqual(c.state.cadence, RefreshCadence(rowsOnScreenMs: 1000, fullTableMs: 2400, costMs: 300))
    let header = Fixtures.render(c.state, width: 140, height: 30, ascii: true).text(row: 0)
    XCTAssertTrue(header.contains("every 1s, full table every 2.4s (walk 300ms)"), header)
    collector.finish(.success(Snapshot(system: Fixtures.system, sockets: lookup.request.lookUp)), costMs: 2)
    step(c)
    XCTAssertEqual(c.lookupCostMs, 2)
    clock.advance(1000)
    step(c)
    XCTAssertEqual(collector.jobs.count, 3)
    XCTAssertFalse(collector.jobs[2].request.lookUp.isEmpty, "2 s after the walk: lookups again")
    collector.finish(.success(Snapshot(system: Fixtures.system, sockets: lookup.request.lookUp)), costMs: 2)
    step(c)
    clock.advance(400)
    step(c)
    XCTAssertEqual(collector.jobs.count, 4)
    XCTAssertTrue(collector.jobs[3].request.lookUp.isEmpty, "2.4 s after the walk: a walk")
  }

  /// Without lookups (or a port filter, whose lookups the collector does), a costly refresh
  /// stretches the whole interval, and the header says by how much.
  func testWithoutLookupsTheIntervalStretches() {
    let c = controller(AppState(baseRequest: CollectRequest(owners: false, socketOptions: false)), lookups: false)
    collector.finish(.success(snapshot), costMs: 300)
    step(c)
    clock.advance(2399)
    step(c)
    XCTAssertEqual(collector.jobs.count, 1)
    clock.advance(1)
    step(c)
    XCTAssertEqual(collector.jobs.count, 2)
    XCTAssertTrue(collector.jobs[1].request.lookUp.isEmpty)
    XCTAssertEqual(c.state.cadence, RefreshCadence(rowsOnScreenMs: 2400, fullTableMs: 2400, costMs: 300))
  }

  /// A lookup round that misses (a socket on screen closed) makes the next refresh a walk.
  func testAMissedLookupRoundWalksNext() {
    let c = controller(AppState(baseRequest: CollectRequest(owners: false, socketOptions: false)))
    collector.finish(.success(snapshot), costMs: 300)
    step(c)
    clock.advance(1000)
    step(c)
    XCTAssertFalse(collector.jobs[1].request.lookUp.isEmpty)
    collector.finish(.failure(Refused()))
    step(c)
    XCTAssertNil(c.state.collectError, "a missed lookup is not an error")
    clock.advance(1000)
    step(c)
    XCTAssertEqual(collector.jobs.count, 3)
    XCTAssertTrue(collector.jobs[2].request.lookUp.isEmpty)
  }

  /// The bug: a failed collection, then a profile change, re-collected with a default request
  /// (no port filter, owners on). Now the profile re-evaluates the store and every later
  /// collection keeps the command line's request.
  func testFailedCollectionThenProfileChangeKeepsTheRequest() {
    let base = CollectRequest(owners: false, socketOptions: false)
    let c = controller(AppState(filter: ConnectionFilter(ports: [5432]), baseRequest: base))
    collector.finish(.failure(Refused()))
    step(c)
    XCTAssertEqual(c.state.collectError, "netlink refused")
    terminal.keys = [.char("!")]
    step(c)
    XCTAssertEqual(c.state.profile.name, MiddleboxProfile.all[1].name)
    clock.advance(1000)
    step(c)
    XCTAssertEqual(collector.jobs.count, 2)
    for job in collector.jobs {
      XCTAssertEqual(job.request.ports, [5432])
      XCTAssertFalse(job.request.owners)
      XCTAssertFalse(job.request.socketOptions)
    }
  }

  /// A port change collects at once with the new filter, and a result of the old one is dropped.
  func testPortChangeRecollectsAndDropsTheOldResult() {
    let c = controller(AppState(baseRequest: CollectRequest(owners: false, socketOptions: false)))
    terminal.keys = [.char("p")] + "5432".map { .char($0) } + [.enter]
    step(c)
    XCTAssertEqual(collector.jobs.last?.request.ports, [5432])
    XCTAssertEqual(collector.jobs.last?.generation, 1)
    collector.finished = CollectionOutput(job: collector.jobs[0], result: .success(snapshot), costMs: 1)
    step(c)
    XCTAssertFalse(c.state.hasData, "the unfiltered result came too late")
  }

  func testQuitAndSignals() {
    let c = controller()
    terminal.keys = [.char("q")]
    XCTAssertEqual(c.step(terminal: terminal, collector: collector, keyTimeoutMs: 0), 0)
    terminal.quitSignal = 15
    XCTAssertEqual(c.step(terminal: terminal, collector: collector, keyTimeoutMs: 0), 143)
  }
}
