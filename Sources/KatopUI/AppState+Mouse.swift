// Mouse clicks (ncurses button 1; `--no-mouse` turns them off): a click on a row selects it, on
// a column header sorts by that column (again: inverts), as in htop.
import KatopModel

extension AppState {
  mutating func click(x: Int, y: Int) -> Effect {
    guard mode == .table else { return .none }
    statusMessage = nil
    let header = Layout.headerLines + Layout.noteLines(self)
    if y == header {
      sortByColumn(at: x)
    } else if y > header {
      let index = (showsGroups ? groupScroll : scroll) + y - header - 1
      if showsGroups {
        if groups.indices.contains(index) { selectGroup(index) }
      } else if rows.indices.contains(index) {
        select(index)
      }
    }
    return .none
  }

  /// The sort column under `x` in the table's header (the renderer's layout for this width).
  private mutating func sortByColumn(at x: Int) {
    var column: SortColumn?
    if showsGroups {
      column = Renderer.groupSortColumn(at: x, width: screenWidth, flow: flow != nil)
    } else {
      let end = min(rows.count, scroll + pageSize)
      let layout = ColumnLayout(
        width: screenWidth, visible: rows[min(scroll, end)..<end], cutIn: flow != nil, portFilter: !filter.ports.isEmpty,
        choice: columns)
      var left = 0
      for (c, width) in layout.columns {
        if x >= left && x < left + width + 1 { column = c.sortColumn }
        left += width + 1
      }
    }
    guard let column else { return }
    if column == sort.column {
      sort.descending.toggle()
    } else {
      sort.column = column
    }
    rebuildRows()
  }
}
