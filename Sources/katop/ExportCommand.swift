// `katop export --textfile DIR`: writes the Prometheus metrics of a fresh snapshot every
// `--interval` seconds to DIR/katop.prom for node_exporter's textfile collector, atomically (a
// temporary file in DIR, fsync, rename), so the collector never reads half a file.
import ArgumentParser
import FoundationEssentials
import Glibc
import KatopModel

struct ExportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "export",
    abstract: "Write Prometheus metrics to a directory for node_exporter's textfile collector.",
    discussion: "katop's filters and --profile, --idle-timeout, --top apply; --interval sets the seconds between writes (default 15). "
      + "Example: katop export --textfile /var/lib/prometheus/node-exporter --interval 30 (docs/prometheus.md).")

  @Option(help: ArgumentHelp("Directory to write <name>.prom into (must exist).", valueName: "dir"))
  var textfile: String

  @Option(help: ArgumentHelp("Stop after this many writes (default: run until stopped).", valueName: "n"))
  var count: Int?

  @Option(help: ArgumentHelp("File name without .prom (default katop).", valueName: "name"))
  var name = "katop"

  /// katop's own options (--port, --state, --risky, --profile, --idle-timeout, --no-owners, --top,
  /// and --interval for the seconds between writes, default 15) apply: they may come before or
  /// after `export`.
  @ParentCommand var root: Katop

  func validate() throws {
    if let count, count < 1 { throw ValidationError("--count must be at least 1") }
    if name.isEmpty || name.contains("/") || name.hasPrefix(".") { throw ValidationError("--name must be a plain file name") }
    var isDir = false
    guard FileManager.default.fileExists(atPath: textfile, isDirectory: &isDir), isDir else {
      throw ValidationError("--textfile \(textfile) is not a directory")
    }
  }

  func run() throws {
    var settings = root
    _ = try settings.applyConfig(ConfigFile.load(paths: ConfigFile.searchPaths()))
    let interval = root.interval ?? 15_000  // the flag only: the config's interval is the TUI's
    let target = textfile + "/" + name + ".prom"
    var written = 0
    while true {
      let one = try settings.collectRows()
      let (system, status, rows) = (one.system, one.status, one.rows)
      let profile = settings.chosenProfile
      let text = PrometheusReport.render(
        summary: Summary(rows, profile: profile, top: settings.output.top, flow: one.context.flow), system: system, status: status, profile: profile,
        version: Katop.version)
      try Self.writeAtomically(text, to: target)
      written += 1
      if let count, written >= count { return }
      Clocks.sleep(ms: interval)
    }
  }

  /// Writes `text` to a hidden temporary file next to `path`, fsyncs it and renames it over `path`.
  static func writeAtomically(_ text: String, to path: String) throws {
    let slash = path.lastIndex(of: "/").map { path.index(after: $0) } ?? path.startIndex
    let temporary = String(path[..<slash]) + "." + String(path[slash...]) + ".\(getpid()).tmp"
    let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw ExportError(path: temporary, errno: errno) }
    var failure: Int32 = 0
    let bytes = Array(text.utf8)
    var done = 0
    while done < bytes.count && failure == 0 {
      let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, $0.count - done) }
      if n < 0 { if errno != EINTR { failure = errno } } else { done += n }
    }
    if failure == 0 && fsync(fd) != 0 { failure = errno }
    if close(fd) != 0 && failure == 0 { failure = errno }
    if failure == 0 && rename(temporary, path) != 0 { failure = errno }
    if failure != 0 {
      unlink(temporary)
      throw ExportError(path: path, errno: failure)
    }
  }
}

struct ExportError: Error, CustomStringConvertible {
  var path: String
  var errno: Int32
  var description: String { "cannot write \(path): \(String(cString: strerror(errno)))" }
}
