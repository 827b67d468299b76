// Keys, actions and the ONE key table: dispatch, the help screen and the footer hint bar are all
// generated from `KeyTable.bindings` (k9s / htop style).

public enum Key: Hashable, Sendable {
  case char(Character)
  case up, down, left, right, pageUp, pageDown, home, end
  case enter, escape, backspace, tab, delete
  case function(Int)
  case resize
  /// Button 1 at a screen cell (column, row): selects a row, sorts by a column header.
  case click(x: Int, y: Int)

  /// How the help screen names the key.
  public var name: String {
    switch self {
    case .char(" "): return "Space"
    case .char(let c): return String(c)
    case .up: return "Up"
    case .down: return "Down"
    case .left: return "Left"
    case .right: return "Right"
    case .pageUp: return "PgUp"
    case .pageDown: return "PgDn"
    case .home: return "Home"
    case .end: return "End"
    case .enter: return "Enter"
    case .escape: return "Esc"
    case .backspace: return "Bksp"
    case .tab: return "Tab"
    case .delete: return "Del"
    case .function(let n): return "F\(n)"
    case .resize: return "Resize"
    case .click: return "Click"
    }
  }
}

public enum Action: String, CaseIterable, Sendable {
  case moveUp, moveDown, pageUp, pageDown, home, end
  case detail, back, closedView, namespaceView
  case portFilter, textFilter, riskyOnly, cycleProfile
  case sortMenu, sortPrev, sortNext, invertSort
  case pause, slower, faster
  case cycleColumns, cycleGrouping
  case filterUser, filterProcess, invertFilter
  case summaryLine
  /// Change the system (docs/actions.md): absent from the table under --readonly.
  case setKeepalive, setKeepaliveShown, killConnection, undoKeepalive
  case help, quit
}

public struct KeyBinding: Sendable {
  public var keys: [Key]
  /// The key as the footer names it (`F1`, `p`).
  public var label: String
  public var action: Action
  /// One line for the help screen.
  public var help: String
  /// Short footer label (htop's `F1Help`); nil keeps the binding out of the footer.
  public var hint: String?
  /// The action changes live sockets (k9s' `dangerous`): --readonly drops the binding from the
  /// keys, the help and the hint bar.
  public var changesSystem: Bool

  public init(keys: [Key], label: String, action: Action, help: String, hint: String? = nil, changesSystem: Bool = false) {
    self.keys = keys
    self.label = label
    self.action = action
    self.help = help
    self.hint = hint
    self.changesSystem = changesSystem
  }
}

public enum KeyTable {
  public static let bindings: [KeyBinding] = [
    KeyBinding(keys: [.function(1), .char("?"), .char("h")], label: "F1", action: .help,
               help: "show this help", hint: "Help"),
    KeyBinding(keys: [.up, .char("k")], label: "k", action: .moveUp, help: "select the previous connection"),
    KeyBinding(keys: [.down, .char("j")], label: "j", action: .moveDown, help: "select the next connection"),
    KeyBinding(keys: [.pageUp], label: "PgUp", action: .pageUp, help: "one page up"),
    KeyBinding(keys: [.pageDown], label: "PgDn", action: .pageDown, help: "one page down"),
    KeyBinding(keys: [.home], label: "Home", action: .home, help: "first connection"),
    KeyBinding(keys: [.end, .char("G")], label: "G", action: .end, help: "last connection"),
    KeyBinding(keys: [.char("p")], label: "p", action: .portFilter,
               help: "port filter: comma-separated ports, filtered in the kernel; empty clears", hint: "Ports"),
    KeyBinding(keys: [.char("/"), .function(3), .function(4)], label: "/", action: .textFilter,
               help: "text filter over addresses, state, owner (user, command line) and risk ids; Esc clears", hint: "Filter"),
    KeyBinding(keys: [.char("u")], label: "u", action: .filterUser,
               help: "filter by the selected connection's user (again: clear)"),
    KeyBinding(keys: [.char("o")], label: "o", action: .filterProcess,
               help: "filter by the selected connection's process (again: clear)"),
    KeyBinding(keys: [.char("~")], label: "~", action: .invertFilter,
               help: "invert the owner, risk, text and risky filters (ports and states still apply)"),
    KeyBinding(keys: [.char("r")], label: "r", action: .riskyOnly, help: "show only risky connections (toggle)",
               hint: "Risky"),
    KeyBinding(keys: [.char("!")], label: "!", action: .cycleProfile,
               help: "next middlebox profile (idle timeout the risks are judged against)"),
    KeyBinding(keys: [.function(6), .char("s")], label: "F6", action: .sortMenu, help: "choose the sort column",
               hint: "Sort"),
    KeyBinding(keys: [.char("g"), .function(5), .char("t")], label: "F5", action: .cycleGrouping,
               help: "group by: none, process, remote host, service (one row per group; Enter drills in, Esc back)",
               hint: "Group"),
    KeyBinding(keys: [.function(2), .char("C")], label: "F2", action: .cycleColumns,
               help: "columns: next preset (auto by width, --columns, process, keepalive, addresses)"),
    KeyBinding(keys: [.char("<"), .char(",")], label: "<", action: .sortPrev, help: "sort by the previous column"),
    KeyBinding(keys: [.char(">"), .char(".")], label: ">", action: .sortNext, help: "sort by the next column"),
    KeyBinding(keys: [.char("I")], label: "I", action: .invertSort, help: "invert the sort order"),
    KeyBinding(keys: [.enter], label: "Enter", action: .detail,
               help: "details of the selected connection: tcp_info, keepalive maths, risks", hint: "Detail"),
    KeyBinding(keys: [.char("c")], label: "c", action: .summaryLine,
               help: "detail page with a one-line, copy-friendly summary of the connection on top (again: hide)"),
    KeyBinding(keys: [.char(" ")], label: "Space", action: .pause, help: "pause / resume refreshing",
               hint: "Pause"),
    KeyBinding(keys: [.char("K")], label: "K", action: .setKeepalive,
               help: "set keepalive on the selected connection or group to the recommended values (asks first)",
               hint: "Keepalive", changesSystem: true),
    KeyBinding(keys: [.char("A")], label: "A", action: .setKeepaliveShown,
               help: "set keepalive on every connection the table shows to the recommended values (asks first)",
               changesSystem: true),
    KeyBinding(keys: [.function(9)], label: "F9", action: .killConnection,
               help: "end the selected connection or group: SOCK_DESTROY, RST to the peer (asks first)", hint: "Kill",
               changesSystem: true),
    KeyBinding(keys: [.char("U")], label: "U", action: .undoKeepalive,
               help: "undo the last keepalive change made in this session (asks first)", changesSystem: true),
    KeyBinding(keys: [.char("L")], label: "L", action: .closedView,
               help: "closed connections: recent deaths with their cause, newest first (filters apply); again to go back",
               hint: "Closed"),
    KeyBinding(keys: [.char("N")], label: "N", action: .namespaceView,
               help: "network namespaces (all as root): each one's keepalive sysctls, conntrack timeout, risk"),
    KeyBinding(keys: [.char("+"), .char("=")], label: "+", action: .slower,
               help: "refresh less often (250ms ... 10s)"),
    KeyBinding(keys: [.char("-")], label: "-", action: .faster, help: "refresh more often"),
    KeyBinding(keys: [.escape], label: "Esc", action: .back, help: "back to the table / clear the text filter"),
    KeyBinding(keys: [.function(10), .char("q")], label: "F10", action: .quit, help: "quit", hint: "Quit"),
  ]

  /// The table in force: without the bindings that change the system when `readonly`.
  public static func bindings(readonly: Bool) -> [KeyBinding] {
    readonly ? bindings.filter { !$0.changesSystem } : bindings
  }

  private static let index: [Key: KeyBinding] = {
    var map: [Key: KeyBinding] = [:]
    for b in bindings {
      for k in b.keys where map[k] == nil { map[k] = b }
    }
    return map
  }()

  public static func action(for key: Key, readonly: Bool = false) -> Action? {
    guard let b = index[key], !(readonly && b.changesSystem) else { return nil }
    return b.action
  }

  public static func binding(for action: Action) -> KeyBinding? { bindings.first { $0.action == action } }

  /// Footer entries (label, hint) in table order.
  public static func hints(readonly: Bool = false) -> [(key: String, text: String)] {
    bindings(readonly: readonly).compactMap { b in b.hint.map { (b.label, $0) } }
  }
}
