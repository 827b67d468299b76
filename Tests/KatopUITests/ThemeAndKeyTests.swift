import Foundation
import XCTest
@testable import KatopUI

final class ThemeTests: XCTestCase {
  var repoRoot: String {
    var url = URL(fileURLWithPath: "\(#filePath)")
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
  }

  func testValidThemeParses() throws {
    let text = """
      # comment
      name = test
      risk-critical = fg:196/red bg:default bold   # trailing comment
      selected = reverse
      row = fg:33
      """
    let theme = try Theme.parse(text, file: "t.theme")
    XCTAssertEqual(theme.name, "test")
    XCTAssertEqual(theme.style(.riskCritical), Style(fg: .indexed(196, fallback: .red), bold: true))
    XCTAssertEqual(theme.style(.selected), Style(reverse: true))
    XCTAssertEqual(theme.style(.row).fg, .indexed(33, fallback: BasicColor.nearest(to: 33)))
    XCTAssertEqual(theme.style(.header), Theme.builtinDefault.style(.header), "unlisted roles inherit the default")
    XCTAssertTrue(theme.warnings.isEmpty)
  }

  func testBadColourReportsFileAndLine() {
    let text = "name = x\n\nrow = fg:purpel\n"
    XCTAssertThrowsError(try Theme.parse(text, file: "themes/x.theme")) { error in
      XCTAssertEqual("\(error)", "themes/x.theme:3: unknown colour 'purpel'")
    }
    XCTAssertThrowsError(try Theme.parse("row = fg:300", file: "a.theme")) { error in
      XCTAssertEqual("\(error)", "a.theme:1: colour index 300 out of range 0-255")
    }
    XCTAssertThrowsError(try Theme.parse("row fg:red", file: "a.theme")) { error in
      XCTAssertEqual((error as? ThemeError)?.line, 1)
    }
    XCTAssertThrowsError(try Theme.parse("row = blink", file: "a.theme")) { error in
      XCTAssertTrue("\(error)".hasPrefix("a.theme:1: unknown attribute 'blink'"))
    }
  }

  func testUnknownRoleIsAWarning() throws {
    let theme = try Theme.parse("row = bold\nmeter-value = fg:red\n", file: "w.theme")
    XCTAssertEqual(theme.warnings, ["w.theme:2: unknown role 'meter-value' ignored"])
    XCTAssertTrue(theme.style(.row).bold)
  }

  func testEveryShippedThemeParsesAndCoversEveryRole() throws {
    let dir = repoRoot + "/themes"
    let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".theme") }.sorted()
    XCTAssertTrue(Set(["default.theme", "light.theme", "mono.theme", "high-contrast.theme"]).isSubset(of: Set(files)))
    XCTAssertGreaterThanOrEqual(files.count, 5)
    for file in files {
      let text = try String(contentsOfFile: dir + "/" + file, encoding: .utf8)
      let theme = try Theme.parse(text, file: file, base: Theme(name: "", styles: [:]))
      XCTAssertTrue(theme.warnings.isEmpty, "\(file): \(theme.warnings)")
      for role in Role.allCases { XCTAssertNotNil(theme.styles[role], "\(file) lacks \(role.key)") }
    }
  }

  func testMonoThemeHasNoColour() throws {
    for style in Theme.builtinMono.styles.values {
      XCTAssertEqual(style.fg, .terminalDefault)
      XCTAssertEqual(style.bg, .terminalDefault)
    }
  }

  func testBuiltinThemesMatchShippedFiles() throws {
    for (name, builtin) in [("default", Theme.builtinDefault), ("mono", Theme.builtinMono)] {
      let path = repoRoot + "/themes/\(name).theme"
      let fromFile = try Theme.parse(try String(contentsOfFile: path, encoding: .utf8), file: path)
      XCTAssertEqual(fromFile.styles, builtin.styles, "\(path) and the compiled-in \(name) theme differ")
    }
  }

  func testNearestBasicColour() {
    XCTAssertEqual(BasicColor.nearest(to: 196), .red)
    XCTAssertEqual(BasicColor.nearest(to: 46), .green)
    XCTAssertEqual(BasicColor.nearest(to: 21), .blue)
    XCTAssertEqual(BasicColor.nearest(to: 231), .white)
    XCTAssertEqual(BasicColor.nearest(to: 16), .black)
    XCTAssertEqual(BasicColor.nearest(to: 9), .red)
  }
}

final class KeyTableTests: XCTestCase {
  /// Every hint at 120 columns; at 80 the hints after the action group (K, F9, then L for the
  /// Closed view) give way, the others all show.
  func testEveryHintAppearsInTheFooter() {
    for width in [80, 120] {
      let screen = Fixtures.render(Fixtures.state(width: width, height: 24), width: width, height: 24)
      let footer = screen.lines()[23]
      for b in KeyTable.bindings where width >= 120 || !(b.changesSystem || b.action == .closedView) {
        guard let hint = b.hint else { continue }
        XCTAssertTrue(footer.contains(b.label + hint), "footer at \(width) lacks \(b.label)\(hint): |\(footer)|")
      }
    }
  }

  func testNarrowFooterKeepsQuit() {
    let screen = Fixtures.render(Fixtures.state(width: 40, height: 10), width: 40, height: 10)
    let footer = screen.lines()[9]
    XCTAssertTrue(footer.hasSuffix("F10Quit"), footer)
    XCTAssertTrue(footer.hasPrefix("F1Help"), footer)
  }

  func testEveryBindingAppearsInHelp() {
    var state = Fixtures.state(width: 120, height: 60)
    _ = state.handle(.function(1))
    let text = Fixtures.render(state, width: 120, height: 60).lines().joined(separator: "\n")
    for b in KeyTable.bindings {
      XCTAssertTrue(text.contains(b.help), "help lacks '\(b.help)'")
      XCTAssertTrue(text.contains(b.keys.map(\.name).joined(separator: " ")), "help lacks keys of \(b.action)")
    }
  }

  func testNoKeyIsBoundTwice() {
    var seen: [Key: Action] = [:]
    for b in KeyTable.bindings {
      for k in b.keys {
        XCTAssertNil(seen[k], "\(k.name) bound to \(seen[k].map { "\($0)" } ?? "") and \(b.action)")
        seen[k] = b.action
      }
    }
    for action in Action.allCases { XCTAssertNotNil(KeyTable.binding(for: action), "\(action) has no key") }
  }
}

final class ScreenBufferTests: XCTestCase {
  func testPutClipsAndKeepsUTF8() {
    var b = ScreenBuffer(width: 6, height: 2)
    XCTAssertEqual(b.put(0, 4, "héllo", .header), 9)
    b.put(1, -2, "ab▼cdefgh", .row)
    b.put(5, 0, "off screen", .row)
    XCTAssertEqual(b.lines(), ["    hé", "▼cdefg"])
    XCTAssertEqual(b.roles[0][5], .header)
    XCTAssertEqual(b.roles[0][3], .row)
    b.put(0, 0, "a\tb", .row)
    XCTAssertEqual(b.text(row: 0), "a?b hé")
  }

  func testWrap() {
    XCTAssertEqual(Fit.wrap("one two three four", width: 9), ["one two", "three", "four"])
    XCTAssertEqual(Fit.wrap("abcdefghij", width: 4), ["abcd", "efgh", "ij"])
    XCTAssertEqual(Fit.pad("abcdef", 4, ellipsis: "…"), "abc…")
    XCTAssertEqual(Fit.pad("ab", 4, right: true), "  ab")
  }
}
