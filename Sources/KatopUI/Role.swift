// Semantic roles for every piece of text katop draws (htop's ColorElements). The renderer only
// assigns roles; a Theme maps roles to colours and attributes; the terminal applies them.

public enum Role: String, CaseIterable, Hashable, Sendable {
  case header
  case headerValue = "header-value"
  case tableHeader = "table-header"
  case row
  case selected
  case riskWarning = "risk-warning"
  case riskCritical = "risk-critical"
  case riskInfo = "risk-info"
  case newRow = "new-row"
  case closedRow = "closed-row"
  case keepaliveOn = "keepalive-on"
  case keepaliveOff = "keepalive-off"
  case keepaliveUnknown = "keepalive-unknown"
  case assumed
  case hintKey = "hint-key"
  case hintText = "hint-text"
  case prompt
  case detailLabel = "detail-label"
  case detailValue = "detail-value"
  case border
  case status
  case error

  /// The key used in theme files (`risk-critical`).
  public var key: String { rawValue }
}
