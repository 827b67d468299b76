// The only code that touches ncurses: terminal setup and teardown, theme roles -> colour pairs,
// blitting a ScreenBuffer, and reading keys.
import CNcursesw
import Glibc
import KatopUI

public struct TerminalError: Error, CustomStringConvertible {
  public var message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}

public final class Terminal {
  private var screen: OpaquePointer?
  private var closed = false
  private var attributes: [Role: (attrs: attr_t, pair: Int16)] = [:]
  /// True when the locale's codeset is UTF-8 (the renderer may use box and arrow glyphs).
  public let utf8: Bool
  /// True when colours are in use (false: attributes only).
  public private(set) var colored = false

  /// Prepares the terminal. Throws (without touching the screen) when stdout/stdin is not a
  /// terminal or TERM is unusable.
  public init(theme: Theme, noColor: Bool) throws {
    setlocale(LC_ALL, "")
    utf8 = String(cString: nl_langinfo(nl_item(CODESET))).uppercased().replacingDashes == "UTF8"
    guard isatty(STDOUT_FILENO) == 1, isatty(STDIN_FILENO) == 1 else {
      throw TerminalError("not a terminal: use `katop --once` (table) or `katop --json` for pipes and scripts")
    }
    let term = getenv("TERM").map { String(cString: $0) } ?? ""
    guard !term.isEmpty, term != "dumb" else {
      throw TerminalError("TERM is \(term.isEmpty ? "unset" : "'dumb'"): set TERM (e.g. xterm-256color) or use `katop --once`")
    }
    guard let s = newterm(nil, katop_stdout(), katop_stdin()) else {
      throw TerminalError("cannot use terminal type '\(term)': use `katop --once` or set TERM=xterm-256color")
    }
    screen = s
    set_term(s)
    cbreak()
    noecho()
    nonl()
    keypad(katop_stdscr(), true)
    intrflush(katop_stdscr(), false)
    set_escdelay(25)
    curs_set(0)
    setupColors(theme: theme, noColor: noColor)
  }

  /// Clicks select rows and sort by column headers; off (`--no-mouse`) leaves the mouse to the
  /// terminal (copy-paste over SSH).
  public func enableMouse(_ on: Bool) { katop_mouse(on ? 1 : 0) }

  deinit { close() }

  private func setupColors(theme: Theme, noColor: Bool) {
    colored = !noColor && getenv("NO_COLOR") == nil && has_colors()
    if colored {
      start_color()
      use_default_colors()
    }
    let rich = katop_colors() >= 256
    let source = colored ? theme : Theme.builtinMono
    for (i, role) in Role.allCases.enumerated() {
      let style = source.style(role)
      var attrs = katop_a_normal()
      if style.bold { attrs |= katop_a_bold() }
      if style.reverse { attrs |= katop_a_reverse() }
      if style.underline { attrs |= katop_a_underline() }
      if style.dim { attrs |= katop_a_dim() }
      var pair: Int16 = 0
      if colored && i + 1 < katop_color_pairs() {
        pair = Int16(i + 1)
        init_pair(pair, Terminal.color(style.fg, rich: rich), Terminal.color(style.bg, rich: rich))
      }
      attributes[role] = (attrs, pair)
    }
  }

  static func color(_ spec: ColorSpec, rich: Bool) -> Int16 {
    switch spec {
    case .terminalDefault: return -1
    case .indexed(let index, let fallback):
      return Int16(rich ? index : fallback.rawValue)
    }
  }

  /// Columns and lines of the terminal now.
  public var size: (width: Int, height: Int) {
    (Int(katop_getmaxx(katop_stdscr())), Int(katop_getmaxy(katop_stdscr())))
  }

  /// Draws a buffer; ncurses sends only what changed since the last refresh.
  public func draw(_ buffer: ScreenBuffer) {
    let (w, h) = size
    var text: [wchar_t] = []
    text.reserveCapacity(buffer.width + 1)
    for row in 0..<min(h, buffer.height) {
      var col = 0
      let width = min(w, buffer.width)
      while col < width {
        let role = buffer[row, col].role
        let start = col
        text.removeAll(keepingCapacity: true)
        while col < width && buffer[row, col].role == role {
          Terminal.appendWide(buffer[row, col].character, to: &text)
          col += 1
        }
        let a = attributes[role] ?? (katop_a_normal(), 0)
        katop_attr_set(a.attrs, a.pair)
        text.append(0)
        _ = katop_mvaddnwstr(Int32(row), Int32(start), text, Int32(text.count - 1))
      }
    }
    katop_attr_set(katop_a_normal(), 0)
    refresh()
  }

  /// One column per character: characters that are not one column wide become '?'.
  static func appendWide(_ ch: Character, to text: inout [wchar_t]) {
    if ch.isASCII, let v = ch.asciiValue {
      text.append(v < 32 || v == 127 ? wchar_t(63) : wchar_t(v))
      return
    }
    let scalars = Array(ch.unicodeScalars)
    guard let first = scalars.first, katop_wcwidth(wchar_t(first.value)) == 1 else {
      text.append(63)
      return
    }
    for s in scalars { text.append(wchar_t(s.value)) }
  }

  /// Forces a full repaint on the next draw (after fg or a garbled screen).
  public func invalidate() {
    clearok(katop_curscr(), true)
  }

  /// Waits up to `timeoutMs` for a key; nil on timeout or when a signal interrupted the wait.
  public func readKey(timeoutMs: Int32) -> Key? {
    wtimeout(katop_stdscr(), timeoutMs)
    var ch: wint_t = 0
    let r = wget_wch(katop_stdscr(), &ch)
    if r == KEY_CODE_YES && Int32(ch) == KEY_MOUSE {
      var x: Int32 = 0, y: Int32 = 0
      return katop_read_click(&x, &y) == 1 ? .click(x: Int(x), y: Int(y)) : nil
    }
    if r == KEY_CODE_YES { return Terminal.functionKey(Int32(ch)) }
    guard r == OK else { return nil }
    switch ch {
    case 10, 13: return .enter
    case 27: return .escape
    case 8, 127: return .backspace
    case 9: return .tab
    case 0..<32: return nil
    default:
      guard let scalar = Unicode.Scalar(UInt32(ch)) else { return nil }
      return .char(Character(scalar))
    }
  }

  static func functionKey(_ code: Int32) -> Key? {
    switch code {
    case KEY_UP: return .up
    case KEY_DOWN: return .down
    case KEY_LEFT: return .left
    case KEY_RIGHT: return .right
    case KEY_PPAGE: return .pageUp
    case KEY_NPAGE: return .pageDown
    case KEY_HOME: return .home
    case KEY_END: return .end
    case KEY_ENTER: return .enter
    case KEY_BACKSPACE: return .backspace
    case KEY_DC: return .delete
    case KEY_RESIZE: return .resize
    default:
      for n in 1...12 where katop_key_f(Int32(n)) == code { return .function(n) }
      return nil
    }
  }

  /// Leaves curses mode and restores the terminal; safe to call more than once.
  public func close() {
    guard !closed else { return }
    closed = true
    curs_set(1)
    endwin()
    if let s = screen { delscreen(s) }
    screen = nil
  }
}

extension String {
  fileprivate var replacingDashes: String { String(filter { $0 != "-" }) }
}
