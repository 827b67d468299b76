// Plain `katop`: the interactive table.
import Glibc
import KatopModel
import KatopTerminal
import KatopUI
import SockDiag
import Synchronization

extension Katop {
  func runTUI() throws {
    var chosenTheme = Theme.builtinDefault
    if let name = theme {
      chosenTheme = try ThemeFiles.load(nameOrPath: name, searchDirs: ThemeFiles.searchDirs())
      for warning in chosenTheme.warnings {
        StandardError.write("katop: warning: \(warning)\n")
      }
    }
    // Port-filtered refreshes look up the sockets already known between walks; new connections
    // show up at the next walk, every 3 refreshes (docs/performance.md). A non-nil
    // discovery interval asks for lookups; AppState.collectRequest sets the value (3x the
    // refresh interval, following the interval keys).
    var tuiRequest = request
    tuiRequest.discoveryIntervalMs = 0
    var config = TUIConfig(
      filter: filter, sort: sortOrder, intervalMs: interval ?? 1000,
      profile: chosenProfile, theme: chosenTheme, noColor: noColor, ascii: ascii ? true : nil, request: tuiRequest)
    config.readonly = readonly
    config.columns = view.columns
    config.groupBy = view.group ?? .none
    config.mouse = !view.noMouse
    config.flow = reportContext(profileResolution, activity: nil).flow
    // Used by the collection thread only; the mutex makes handing it over checked.
    let collector = Mutex(Collector(source: source))
    // Sockets the UI thread just changed: their cached settings are dropped before the next collection.
    let changed = ChangedSockets()
    let log = ActionLog.fromEnvironment()
    // The Closed view (L): deaths from sock_diag's destroy multicast, on a thread of their own.
    let deaths = DeathWatcher.start()
    defer { deaths?.stop() }
    let app = TUIApp(
      config: config,
      collect: { request, parts in
        try collector.withLock { c in
          c.forgetSettings(of: changed.take())
          return try c.collect(request, parts: parts)
        }
      },
      inspect: { c in c.owner.flatMap { SocketInspector.options(owner: $0, inode: c.record.inode) } },
      act: readonly ? nil : { TUIActions.act($0, log: log, changed: changed) },
      deaths: deaths.map { watcher in { watcher.take() } },
      listNamespaces: { Katop.namespaceFacts() })
    let status = try app.run()
    if status != 0 { Glibc.exit(status) }
  }
}
