// The grouped view: `g` cycles none -> process -> remote host -> service; one row per group
// (KatopModel's Grouping), Enter drills into a group's connections, Esc goes back. Groups are
// made from the filtered rows, so filters narrow them; the sort column orders them.
import KatopModel

extension AppState {
  /// The table shows groups (a grouping and no group drilled into).
  public var showsGroups: Bool { groupBy != .none && drill == nil }

  public var selectedGroup: ConnectionGroup? { groups.indices.contains(groupIndex) ? groups[groupIndex] : nil }

  /// The grouping's label of the group drilled into.
  public var drillLabel: String? {
    guard let drill else { return nil }
    return groups.first { $0.key == drill }?.label
  }

  public mutating func setGrouping(_ by: GroupBy) {
    groupBy = by
    drill = nil
    groups = []
    selectedGroupKey = nil
    groupIndex = 0
    groupScroll = 0
    rebuildRows()
  }

  /// Groups `slots` (the filtered view, in order) and keeps the selection on the same group.
  mutating func regroup(_ slots: [Int32]) {
    let by = groupBy, flow = self.flow
    let made: [ConnectionGroup] = store.rows.withUnsafeBufferPointer { b in
      Grouping.groups(
        by: by, slots: slots, of: b, flow: flow, listening: by == .remotePort ? Grouping.listeningPorts(b) : [])
    }
    groups = Grouping.sorted(made, by: sort)
    if let key = selectedGroupKey, let i = groups.firstIndex(where: { $0.key == key }) {
      groupIndex = i
    } else {
      groupIndex = min(groupIndex, max(0, groups.count - 1))
      selectedGroupKey = selectedGroup?.key
    }
    keepGroupVisible()
  }

  mutating func selectGroup(_ index: Int) {
    groupIndex = groups.isEmpty ? 0 : min(max(index, 0), groups.count - 1)
    selectedGroupKey = selectedGroup?.key
    keepGroupVisible()
  }

  mutating func keepGroupVisible() {
    if groupIndex < groupScroll { groupScroll = groupIndex }
    if groupIndex >= groupScroll + pageSize { groupScroll = groupIndex - pageSize + 1 }
    groupScroll = max(0, min(groupScroll, groups.count - pageSize))
  }

  mutating func moveGroup(_ action: Action) {
    switch action {
    case .moveUp: selectGroup(groupIndex - 1)
    case .moveDown: selectGroup(groupIndex + 1)
    case .pageUp: selectGroup(groupIndex - pageSize)
    case .pageDown: selectGroup(groupIndex + pageSize)
    case .home: selectGroup(0)
    case .end: selectGroup(groups.count - 1)
    default: break
    }
  }

  /// Enter on a group: its connections, first one selected.
  mutating func drillIn() {
    guard let g = selectedGroup else { return }
    drill = g.key
    rebuildRows()
    select(0)
  }

  mutating func drillOut() {
    drill = nil
    rebuildRows()
  }
}

extension AppState {
  /// The connection the owner keys read: the selected row, or the selected group's first one.
  var selectedConnection: Connection? {
    if showsGroups {
      guard let slot = selectedGroup?.members.first else { return nil }
      return store.rows[Int(slot)].connection
    }
    return selectedRow?.connection
  }

  /// `u` / `o`: filter by the selected connection's user / process (the same key again clears);
  /// `~`: invert the owner, risk, text and risky filters.
  mutating func filterBySelection(_ action: Action) {
    switch action {
    case .filterUser:
      if !filter.users.isEmpty {
        filter.users = []
        statusMessage = "user filter cleared"
      } else if let o = selectedConnection?.owner {
        filter.users = [o.userName]
        statusMessage = "only user \(ConnectionText.printable(o.userName)) (u again clears)"
      } else {
        statusMessage = "no owner known for the selected connection"
        return
      }
    case .filterProcess:
      if !filter.pids.isEmpty {
        filter.pids = []
        statusMessage = "process filter cleared"
      } else if let o = selectedConnection?.owner {
        filter.pids = [o.pid]
        statusMessage = "only process \(o.pid)/\(ConnectionText.printable(o.command)) (o again clears)"
      } else {
        statusMessage = "no owner known for the selected connection"
        return
      }
    default:
      filter.inverted.toggle()
      statusMessage = filter.inverted ? "filters inverted (~ again restores)" : "filters restored"
    }
    drill = nil
    rebuildRows()
  }
}
