// The interactive run loop. The main thread owns AppState and is the only one drawing; a worker
// thread collects and analyses, so keys stay responsive during a slow refresh.
import CNcursesw
import Foundation
import KatopModel
import KatopUI

public struct TUIConfig {
  /// The starting filter (ports, states, risky-only, text); keys change it afterwards.
  public var filter: ConnectionFilter
  public var sort: KatopModel.SortOrder
  public var intervalMs: Int
  public var profile: MiddleboxProfile
  public var theme: Theme
  public var noColor: Bool
  /// nil: decide from the locale (UTF-8 glyphs when the codeset is UTF-8).
  public var ascii: Bool?
  /// Collector options other than ports (owners, socket options ...).
  public var request: CollectRequest
  /// Path budgets for the Cut in column, the detail ladder and per-flow risks (nil: one profile).
  public var flow: FlowContext? = nil

  public init(
    filter: ConnectionFilter = ConnectionFilter(),
    sort: KatopModel.SortOrder = KatopModel.SortOrder(), intervalMs: Int = 1000, profile: MiddleboxProfile = .aws,
    theme: Theme = .builtinDefault, noColor: Bool = false, ascii: Bool? = nil, request: CollectRequest = CollectRequest()
  ) {
    self.filter = filter
    self.sort = sort
    self.intervalMs = intervalMs
    self.profile = profile
    self.theme = theme
    self.noColor = noColor
    self.ascii = ascii
    self.request = request
  }
}

public final class TUIApp {
  /// Refreshes are spaced at least this many times the last refresh's duration.
  static let refreshCostFactor: UInt64 = 7
  let config: TUIConfig
  let worker: CollectionWorker
  /// Reads one socket's settings for the detail page (nil: not offered).
  let inspect: ((Connection) -> SocketOptions?)?

  public init(
    config: TUIConfig, collect: @escaping @Sendable (CollectRequest) throws -> Snapshot,
    analyze: @escaping @Sendable (inout Snapshot, MiddleboxProfile) -> [Connection],
    inspect: ((Connection) -> SocketOptions?)? = nil
  ) {
    self.config = config
    self.inspect = inspect
    self.worker = CollectionWorker(collect: collect, analyze: analyze)
  }

  /// Runs until q / F10 (returns 0) or SIGINT / SIGTERM / SIGHUP (returns 128 + signal). Throws
  /// before touching the screen when there is no usable terminal. The terminal is always restored.
  public func run() throws -> Int32 {
    let terminal = try Terminal(theme: config.theme, noColor: config.noColor)
    katop_install_signal_handlers()
    defer {
      terminal.close()
      katop_restore_signal_handlers()
      worker.stop()
    }
    let renderer = Renderer(ascii: config.ascii ?? !terminal.utf8)
    var state = AppState(
      filter: config.filter,
      sort: config.sort, profile: config.profile, intervalMs: config.intervalMs, baseRequest: config.request)
    state.flow = config.flow
    worker.start()

    var generation = 0
    var lastCollectStart = monotonicMs()
    var mainCPUAtOutput = threadCPUMs()
    var uiCostMs: UInt64 = 0
    // First frame fast: the first collection skips the owner scan and socket settings (a cold
    // scan of 100k fds takes ~1-2 s); the full collection follows at once (docs/performance.md).
    var quickFirst = state.collectRequest
    var fullPending = quickFirst.owners || quickFirst.socketOptions
    quickFirst.owners = false
    quickFirst.socketOptions = false
    worker.submit(request: quickFirst, profile: state.profile, sort: state.sort, generation: generation)
    var dirty = true
    var buffer = ScreenBuffer(width: 0, height: 0)

    while true {
      let signal = katop_pending_quit_signal()
      if signal != 0 { return 128 + signal }
      if katop_take_continued() != 0 {
        terminal.invalidate()
        dirty = true
      }
      let now = monotonicMs()
      if let output = worker.take(), output.generation == generation {
        // The UI thread's share of a refresh (apply, redraw, the idle loop in between) counts
        // towards its cost too: the previous cycle's, measured on this thread's CPU clock.
        let mainCPU = threadCPUMs()
        uiCostMs = mainCPU &- mainCPUAtOutput
        mainCPUAtOutput = mainCPU
        switch output.result {
        case .success(let (system, connections)):
          state.apply(connections: connections, system: system, now: now, sortedBy: output.sortedBy)
        case .failure(let error):
          state.collectError = "\(error)"
        }
        dirty = true
        if fullPending {
          fullPending = false
          // Cold: the first owner scan and settings read cost several times a steady refresh;
          // their duration must not space the following refreshes (docs/performance.md).
          worker.submit(
            request: state.collectRequest, profile: state.profile, sort: state.sort, generation: generation, cold: true)
          lastCollectStart = now
        }
      }
      let busy = worker.isBusy
      // On huge hosts a refresh costs a lot of CPU (100k sockets: ~0.25 s of dump, analysis,
      // sort, diff and redraw): the next one waits at least `refreshCostFactor` times the last
      // one's cost (worker + UI thread), so katop stays under ~15 % of a core whatever the
      // interval (docs/performance.md).
      let lastDurationMs = worker.lastDurationMs &+ uiCostMs
      let effectiveIntervalMs = max(UInt64(state.intervalMs), lastDurationMs &* TUIApp.refreshCostFactor)
      // The header says so whenever the spacing is wider than the configured interval.
      let slow: SlowRefresh? =
        effectiveIntervalMs > UInt64(state.intervalMs)
        ? SlowRefresh(effectiveIntervalMs: Int(clamping: effectiveIntervalMs), refreshMs: Int(clamping: lastDurationMs)) : nil
      if slow != state.slowRefresh {
        state.slowRefresh = slow
        dirty = true
      }
      if !busy && !state.paused && now &- lastCollectStart >= effectiveIntervalMs {
        worker.submit(request: state.collectRequest, profile: state.profile, sort: state.sort, generation: generation)
        lastCollectStart = now
      }
      let showRefreshing = busy && now &- lastCollectStart > 500
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
      state.setScreenSize(height: h)
      // The detail page of a socket the collector skipped (keepalive off per the timers): read
      // its own settings once, here (~10 syscalls), to show a keepalive configured but not on.
      if let inspect, let c = state.wantsInspection {
        state.inspection = Inspection(cookie: c.record.cookie, options: inspect(c))
        dirty = true
      }
      if dirty {
        renderer.render(state, into: &buffer)
        terminal.draw(buffer)
        dirty = false
      }

      // Handle a burst of keys (typing, key repeat) before drawing again.
      var timeout: Int32 = 100
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
          worker.submit(request: request, profile: state.profile, sort: state.sort, generation: generation)
          lastCollectStart = monotonicMs()
        case .reanalyze(let profile):
          worker.submit(request: nil, profile: profile, sort: state.sort, generation: generation)
        }
      }
    }
  }
}
