// The TUI's run loop without a terminal: when to collect (the quick first frame, the interval
// keys, pause, spacing by cost, lookups of the rows on screen between walks of the whole table),
// applying results, on-demand inspection, drawing and keys. Pure: the clock, the terminal and the
// collection thread come in through protocols, so tests drive it step by step.
import KatopModel

/// The terminal as the run loop sees it (KatopTerminal's ncurses `Terminal`, or a test double).
public protocol TerminalScreen: AnyObject {
  var size: (width: Int, height: Int) { get }
  /// Waits up to `timeoutMs` for a key; nil on timeout.
  func readKey(timeoutMs: Int32) -> Key?
  func draw(_ buffer: ScreenBuffer)
  /// Forces a full repaint on the next draw (after fg).
  func invalidate()
  /// A quit signal received (SIGINT, SIGTERM, SIGHUP), or 0.
  func pendingQuitSignal() -> Int32
  /// True once after SIGCONT.
  func takeContinued() -> Bool
}

/// One collection for the collection thread.
public struct CollectionJob: Sendable, Equatable {
  public var request: CollectRequest
  public var generation: Int
  /// A cold collection (empty owner / settings caches): its cost is not a refresh's cost.
  public var cold: Bool
  public init(request: CollectRequest, generation: Int, cold: Bool = false) {
    self.request = request
    self.generation = generation
    self.cold = cold
  }
}

/// What the collection thread made of a job.
public struct CollectionOutput: Sendable {
  public var job: CollectionJob
  public var result: Result<Snapshot, any Error>
  /// Wall time or process CPU time of the collection, the larger, in ms.
  public var costMs: UInt64
  public init(job: CollectionJob, result: Result<Snapshot, any Error>, costMs: UInt64) {
    self.job = job
    self.result = result
    self.costMs = costMs
  }
}

/// The collection thread (KatopTerminal's `CollectionWorker`, or a test double).
public protocol CollectionService: AnyObject {
  /// Queues a job; it replaces one still waiting.
  func submit(_ job: CollectionJob)
  /// The newest finished output, once.
  func take() -> CollectionOutput?
  /// True while a job runs or waits.
  var isBusy: Bool { get }
  /// The next part of the walk the running job hands on (`WalkCollect`), waiting up to `waitMs`
  /// for it once the job has handed one on; nil at once when it hands on none (no walk in parts,
  /// or its output is in). After merging it the caller releases it and calls `partMerged`.
  func nextPart(waitMs: Int) -> (job: CollectionJob, part: WalkPart)?
  /// The part taken last is merged and released: the job goes on.
  func partMerged()
}

extension CollectionService {
  public func nextPart(waitMs: Int) -> (job: CollectionJob, part: WalkPart)? { nil }
  public func partMerged() {}
}

/// A collection that may hand a walk of the whole table on in parts (`Collector.collect(_:
/// partSize:parts:)`) and returns the rest.
public typealias WalkCollect = @Sendable (CollectRequest, _ parts: @escaping @Sendable (WalkPart) -> Void) throws -> Snapshot

/// The clocks the loop reads (monotonic ms, and this thread's CPU ms for the UI's own cost).
public struct LoopClock: Sendable {
  public var nowMs: @Sendable () -> UInt64
  public var threadCPUMs: @Sendable () -> UInt64
  public init(nowMs: @escaping @Sendable () -> UInt64, threadCPUMs: @escaping @Sendable () -> UInt64) {
    self.nowMs = nowMs
    self.threadCPUMs = threadCPUMs
  }
}

public final class RefreshController {
  /// A walk of the whole table waits at least this many times its cost (collection, merge and
  /// drawing) after the previous one: ~12 % of a core at most for walks.
  public static let walkCostFactor: UInt64 = 8
  /// Refreshes of the rows on screen by lookups wait at least this many times their cost.
  public static let lookupCostFactor: UInt64 = 7
  /// After this long in flight the header says "refreshing".
  public static let refreshingAfterMs: UInt64 = 500

  public private(set) var state: AppState
  let renderer: Renderer
  let clock: LoopClock
  let inspect: ((Connection) -> SocketOptions?)?
  /// Carries out a confirmed action (set keepalive, kill) and returns the per-socket results;
  /// nil with --readonly.
  let act: ((ActionPlan) -> [ActionResult])?
  /// Whether rows on screen may be refreshed by lookups between walks (netlink only).
  let lookupsBetweenWalks: Bool
  /// Takes the deaths the destroy listener heard since the last call (the Closed view); nil:
  /// no listener.
  let deaths: (() -> [HeardDeath])?
  /// Reads every network namespace's settings for the N view (nil: katop's own only, from the store).
  let listNamespaces: (() -> [NamespaceFacts])?

  public private(set) var generation = 0
  /// Jobs submitted so far, oldest first (tests, diagnostics), at most the last 64.
  public private(set) var submitted: [CollectionJob] = []
  private var lastStartMs: UInt64
  private var lastWalkStartMs: UInt64?
  /// What the last walk / lookup round cost, collection plus the UI thread's share, in ms.
  public private(set) var walkCostMs: UInt64 = 0
  public private(set) var lookupCostMs: UInt64 = 0
  /// The full collection (owners, settings) still due after the quick first frame.
  private var fullPending: Bool
  /// A walk was asked for out of turn (a lookup round missed).
  private var walkWanted = false
  private var inFlightIsLookup = false
  private var buffer = ScreenBuffer(width: 0, height: 0)
  private var dirty = true

  public init(
    state: AppState, renderer: Renderer, clock: LoopClock, lookupsBetweenWalks: Bool = true,
    inspect: ((Connection) -> SocketOptions?)? = nil, act: ((ActionPlan) -> [ActionResult])? = nil,
    deaths: (() -> [HeardDeath])? = nil, listNamespaces: (() -> [NamespaceFacts])? = nil
  ) {
    self.state = state
    self.deaths = deaths
    self.listNamespaces = listNamespaces
    self.renderer = renderer
    self.clock = clock
    self.inspect = inspect
    self.act = act
    self.lookupsBetweenWalks = lookupsBetweenWalks
    let full = state.collectRequest
    fullPending = full.owners || full.socketOptions
    lastStartMs = clock.nowMs()
  }

  /// Submits the first collection: quick, without the owner scan and socket settings (a cold
  /// scan of 100k fds takes ~1-2 s); the full one follows as soon as it is in.
  public func start(_ collector: some CollectionService) {
    var quick = state.collectRequest
    quick.owners = false
    quick.socketOptions = false
    submit(CollectionJob(request: quick, generation: generation), to: collector)
  }

  /// One turn of the loop: signals, results, scheduling, drawing, then keys (waiting up to
  /// `keyTimeoutMs` for the first). Returns the exit status once the loop must end.
  public func step(terminal: some TerminalScreen, collector: some CollectionService, keyTimeoutMs: Int32 = 100) -> Int32? {
    let signal = terminal.pendingQuitSignal()
    if signal != 0 { return 128 + signal }
    if terminal.takeContinued() {
      terminal.invalidate()
      dirty = true
    }
    // Deaths first: joined to their rows before a walk's merge can drop them.
    if let heard = deaths?(), !heard.isEmpty {
      state.recordDeaths(heard)
      if state.mode == .closed { dirty = true }
    }
    takeOutput(collector)
    schedule(collector)
    let now = clock.nowMs()
    let showRefreshing = collector.isBusy && now &- lastStartMs > RefreshController.refreshingAfterMs
    if showRefreshing != state.refreshing {
      state.refreshing = showRefreshing
      dirty = true
    }
    if state.tick(now: now) { dirty = true }

    let (w, h) = terminal.size
    if w != buffer.width || h != buffer.height {
      buffer = ScreenBuffer(width: w, height: h)
      dirty = true
    }
    state.setScreenSize(height: h, width: w)
    // The detail page of a socket the collector skipped (keepalive off per the timers): read
    // its own settings once, here (~10 syscalls), to show a keepalive configured but not on.
    if let inspect, let c = state.wantsInspection {
      state.inspection = Inspection(cookie: c.record.cookie, options: inspect(c))
      dirty = true
    }
    // The N view: each namespace's sysctls, read once when it opens (a thread per namespace).
    if state.mode == .namespaces && state.namespaceList == nil {
      state.namespaceList = listNamespaces?() ?? state.ownNamespace
      dirty = true
    }
    if dirty {
      renderer.render(state, into: &buffer)
      terminal.draw(buffer)
      dirty = false
    }

    // A burst of keys (typing, key repeat) is handled before drawing again. While a walk runs,
    // keys are read in short waits: its parts are merged as soon as they come.
    var timeout = collector.isBusy && !inFlightIsLookup ? min(keyTimeoutMs, RefreshController.walkKeyTimeoutMs) : keyTimeoutMs
    while let key = terminal.readKey(timeoutMs: timeout) {
      timeout = 0
      dirty = true
      if key == .resize { continue }
      let effect = state.handle(key)
      state.pageScroll = min(state.pageScroll, renderer.maxPageScroll(state, width: w, height: h))
      switch effect {
      case .none:
        break
      case .quit:
        return 0
      case .recollect(let request):
        generation += 1
        walkWanted = false
        submit(CollectionJob(request: request, generation: generation), to: collector)
      case .act(let plan):
        // A few syscalls per socket, on this thread; then a walk shows the result at once.
        state.finishAction(plan, results: act?(plan) ?? [])
        generation += 1
        walkWanted = false
        submit(CollectionJob(request: state.collectRequest, generation: generation), to: collector)
      }
    }
    return nil
  }

  // MARK: collecting

  private func submit(_ job: CollectionJob, to collector: some CollectionService) {
    collector.submit(job)
    submitted.append(job)
    if submitted.count > 64 { submitted.removeFirst(submitted.count - 64) }
    let now = clock.nowMs()
    lastStartMs = now
    inFlightIsLookup = !job.request.lookUp.isEmpty
    if !inFlightIsLookup { lastWalkStartMs = now }
  }

  /// Merges the parts of a walk as the collection thread hands them on, until its output is in
  /// (the rows are rebuilt once, from its rest). Their merge's CPU is already in the job's cost.
  private func mergeWalkParts(_ collector: some CollectionService) {
    while mergeNextPart(collector) { collector.partMerged() }
  }

  /// The part is released when this returns.
  private func mergeNextPart(_ collector: some CollectionService) -> Bool {
    guard let (job, part) = collector.nextPart(waitMs: RefreshController.partWaitMs) else { return false }
    if job.generation == generation {
      state.applyWalkPart(part, now: clock.nowMs(), ownersRead: job.request.owners, optionsRead: job.request.socketOptions)
    }
    return true
  }

  /// How long the UI thread waits for a walk's next part (a dump's next datagrams, or the owner
  /// scan at its end) before it looks at keys and signals again.
  static let partWaitMs = 3000
  /// The key wait while a walk runs (its first part may come at any moment).
  static let walkKeyTimeoutMs: Int32 = 4

  private func takeOutput(_ collector: some CollectionService) {
    mergeWalkParts(collector)
    guard let output = collector.take() else { return }
    guard output.job.generation == generation else {
      // A walk of an older request merged in part: its rows stay as they are, none is closed.
      state.abandonWalk()
      return
    }
    let cpu0 = clock.threadCPUMs()
    let lookups = !output.job.request.lookUp.isEmpty
    switch output.result {
    case .success(let snapshot):
      state.apply(
        snapshot: snapshot, coverage: lookups ? .partial : .complete, now: clock.nowMs(),
        ownersRead: output.job.request.owners, optionsRead: output.job.request.socketOptions)
    case .failure(let error):
      if lookups {
        walkWanted = true  // a socket on screen is gone or changed: the walk says how
      } else {
        state.abandonWalk()  // the parts merged before the failure stay, nothing is closed
        state.collectError = "\(error)"
      }
    }
    dirty = true
    // The UI thread's share (merging into the store, filter, sort; the drawing that follows is
    // small next to it) counts towards the refresh's cost.
    let cost = output.costMs &+ (clock.threadCPUMs() &- cpu0)
    if !output.job.cold {
      if lookups { lookupCostMs = cost } else { walkCostMs = cost }
    }
    if fullPending, !lookups {
      fullPending = false
      // Cold: the first owner scan and settings read cost several times a steady refresh.
      submit(CollectionJob(request: state.collectRequest, generation: generation, cold: true), to: collector)
    }
  }

  /// Milliseconds between walks of the whole table.
  public var walkSpacingMs: UInt64 { max(UInt64(state.intervalMs), walkCostMs &* RefreshController.walkCostFactor) }
  /// Milliseconds between refreshes of the rows on screen (lookups) while walks are further apart.
  public var lookupSpacingMs: UInt64 { max(UInt64(state.intervalMs), lookupCostMs &* RefreshController.lookupCostFactor) }

  /// Whether the rows on screen are refreshed by lookups between walks: a full table (a port
  /// filter already refreshes its sockets by lookups in the collector) over netlink.
  var usesLookups: Bool {
    lookupsBetweenWalks && state.filter.ports.isEmpty && state.status.source == .netlink
      && walkSpacingMs > UInt64(state.intervalMs)
  }

  private func schedule(_ collector: some CollectionService) {
    updateCadence()
    guard !collector.isBusy, !state.paused else { return }
    let now = clock.nowMs()
    let sinceWalk = lastWalkStartMs.map { now &- $0 } ?? .max
    if sinceWalk >= walkSpacingMs || (walkWanted && now &- lastStartMs >= UInt64(state.intervalMs)) {
      walkWanted = false
      submit(CollectionJob(request: state.collectRequest, generation: generation), to: collector)
      return
    }
    guard usesLookups, now &- lastStartMs >= lookupSpacingMs else { return }
    let onScreen = state.recordsOnScreen
    guard !onScreen.isEmpty else { return }
    var request = state.collectRequest
    request.lookUp = onScreen
    request.owners = false  // the store keeps the owners and settings it has
    request.socketOptions = false
    submit(CollectionJob(request: request, generation: generation), to: collector)
  }

  /// Tells the header how fresh each part of the table is.
  private func updateCadence() {
    let cadence: RefreshCadence
    let interval = UInt64(state.intervalMs)
    if usesLookups {
      cadence = RefreshCadence(
        rowsOnScreenMs: Int(clamping: lookupSpacingMs), fullTableMs: Int(clamping: walkSpacingMs),
        costMs: Int(clamping: walkCostMs))
    } else {
      cadence = RefreshCadence(
        rowsOnScreenMs: Int(clamping: walkSpacingMs), fullTableMs: Int(clamping: walkSpacingMs),
        costMs: Int(clamping: walkCostMs))
    }
    let shown: RefreshCadence? = cadence.rowsOnScreenMs > Int(interval) || cadence.fullTableMs > Int(interval) ? cadence : nil
    if shown != state.cadence {
      state.cadence = shown
      dirty = true
    }
  }
}
