// The themes compiled into katop so it works from any directory. themes/default.theme and
// themes/mono.theme carry the same text (a test keeps them in sync).

extension Theme {
  public static let defaultThemeText = """
    # katop default theme: dark background.
    name = default
    header            = fg:250/white
    header-value      = fg:81/cyan bold
    table-header      = fg:16/black bg:34/green
    row               = fg:default
    selected          = fg:16/black bg:75/cyan
    risk-info         = fg:110/blue
    risk-warning      = fg:214/yellow
    risk-critical     = fg:203/red bold
    new-row           = fg:120/green bold
    closed-row        = fg:242/black dim
    keepalive-on      = fg:114/green
    keepalive-off     = fg:209/red
    keepalive-unknown = fg:179/yellow
    assumed           = fg:245/white dim
    hint-key          = fg:default bold
    hint-text         = fg:16/black bg:37/cyan
    prompt            = fg:229/yellow bold
    detail-label      = fg:110/cyan
    detail-value      = fg:default bold
    border            = fg:240/blue
    status            = fg:150/green
    error             = fg:231/white bg:160/red bold

    """

  public static let monoThemeText = """
    # katop mono theme: no colour, attributes only (also used when the terminal has no colours).
    name = mono
    header            = fg:default
    header-value      = bold
    table-header      = reverse
    row               = fg:default
    selected          = reverse bold
    risk-info         = fg:default
    risk-warning      = bold
    risk-critical     = bold underline
    new-row           = bold
    closed-row        = dim
    keepalive-on      = fg:default
    keepalive-off     = bold
    keepalive-unknown = underline
    assumed           = dim
    hint-key          = bold
    hint-text         = reverse
    prompt            = bold
    detail-label      = underline
    detail-value      = bold
    border            = dim
    status            = bold
    error             = reverse bold

    """

  /// The compiled-in default theme.
  public static let builtinDefault: Theme = {
    (try? Theme.parse(defaultThemeText, file: "<builtin default>", base: Theme(name: "default", styles: [:])))
      ?? Theme(name: "default", styles: [:])
  }()

  /// The compiled-in attribute-only theme.
  public static let builtinMono: Theme = {
    (try? Theme.parse(monoThemeText, file: "<builtin mono>", base: Theme(name: "mono", styles: [:])))
      ?? Theme(name: "mono", styles: [:])
  }()
}
