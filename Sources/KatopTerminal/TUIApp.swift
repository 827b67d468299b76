// The interactive program: the terminal, the collection thread and the run loop
// (`RefreshController`, in KatopUI) put together. The main thread owns the state and is the only
// one drawing; a worker thread collects, so keys stay responsive during a slow refresh.
import CNcursesw
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
  /// --readonly: no set-keepalive / kill / undo keys (docs/actions.md).
  public var readonly = false
  /// Path budgets for the Cut in column, the detail ladder and per-flow risks (nil: one profile).
  public var flow: FlowContext? = nil
  /// `--columns`: the table's columns (nil: by the terminal's width).
  public var columns: [Column]? = nil
  /// Clicks select and sort (`--no-mouse`: off).
  public var mouse = true
  /// `--group`: the grouping the table starts with.
  public var groupBy: GroupBy = .none

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
  let config: TUIConfig
  let worker: CollectionWorker
  /// Reads one socket's settings for the detail page (nil: not offered).
  let inspect: ((Connection) -> SocketOptions?)?
  /// Carries out a confirmed set-keepalive / kill plan (nil: the TUI is read-only).
  let act: ((ActionPlan) -> [ActionResult])?
  /// Takes the deaths heard since the last call (the Closed view; nil: no listener).
  let deaths: (() -> [HeardDeath])?
  /// Reads every network namespace's settings (the N view; nil: katop's own only).
  let listNamespaces: (() -> [NamespaceFacts])?

  public init(
    config: TUIConfig, collect: @escaping WalkCollect,
    inspect: ((Connection) -> SocketOptions?)? = nil, act: ((ActionPlan) -> [ActionResult])? = nil,
    deaths: (() -> [HeardDeath])? = nil, listNamespaces: (() -> [NamespaceFacts])? = nil
  ) {
    self.config = config
    self.deaths = deaths
    self.listNamespaces = listNamespaces
    self.inspect = inspect
    self.act = act
    self.worker = CollectionWorker(collect: collect)
  }

  /// Runs until q / F10 (returns 0) or SIGINT / SIGTERM / SIGHUP (returns 128 + signal). Throws
  /// before touching the screen when there is no usable terminal. The terminal is always restored.
  public func run() throws -> Int32 {
    let terminal = try Terminal(theme: config.theme, noColor: config.noColor)
    terminal.enableMouse(config.mouse)
    katop_install_signal_handlers()
    defer {
      terminal.close()
      katop_restore_signal_handlers()
      worker.stop()
    }
    var state = AppState(
      filter: config.filter,
      sort: config.sort, profile: config.profile, intervalMs: config.intervalMs, baseRequest: config.request)
    state.flow = config.flow
    state.customColumns = config.columns
    if let list = config.columns { state.columns = .custom(list) }
    if config.groupBy != .none { state.setGrouping(config.groupBy) }
    state.actions.readonly = config.readonly || act == nil
    let controller = RefreshController(
      state: state, renderer: Renderer(ascii: config.ascii ?? !terminal.utf8),
      clock: LoopClock(nowMs: { Clocks.monotonicMs() }, threadCPUMs: { Clocks.threadCPUMs() }), inspect: inspect, act: act,
      deaths: deaths, listNamespaces: listNamespaces)
    worker.start()
    controller.start(worker)
    while true {
      if let status = controller.step(terminal: terminal, collector: worker) { return status }
    }
  }
}

// In this file, next to katop_install_signal_handlers: the shim's signal latch is a static
// variable in a header, so each object file calling it has a copy of its own.
extension Terminal: TerminalScreen {
  public func pendingQuitSignal() -> Int32 { katop_pending_quit_signal() }
  public func takeContinued() -> Bool { katop_take_continued() != 0 }
}
