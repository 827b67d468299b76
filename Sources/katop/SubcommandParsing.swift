// `katop set-keepalive ...` / `katop kill ...` are parsed by their own command: the root's options
// (--port, --state, --json ...) share names with theirs, and swift-argument-parser lets a parent
// command claim its options anywhere on the line, after the subcommand's name too. The
// subcommands stay registered on the root for `katop --help` and `katop help kill`.
import ArgumentParser

extension Katop {
  static let actionCommands: [ParsableCommand.Type] = [SetKeepaliveCommand.self, KillCommand.self]

  static func parseCommandLine(_ arguments: [String] = Array(CommandLine.arguments.dropFirst())) throws -> ParsableCommand {
    let helpFlags: Set<String> = ["-h", "--help", "-help"]
    if let first = arguments.first, !arguments.contains(where: helpFlags.contains),
      let command = actionCommands.first(where: { $0.configuration.commandName == first })
    {
      return try command.parseAsRoot(Array(arguments.dropFirst()))
    }
    return try parseAsRoot(arguments)
  }
}
