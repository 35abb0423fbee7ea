import ArgumentParser
import GeoFilterCore

/// `geofilter-demo`: a command-line program for checking GeoFilter by hand.
@main
struct GeoFilterDemo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "geofilter-demo",
        abstract: "Check GeoFilter's country filtering by hand.",
        subcommands: [Countries.self, Lookup.self, Aggregate.self, Plan.self, Explain.self, Apply.self, Confirm.self, Restore.self, Status.self, Remove.self, Info.self, Snapshot.self, Update.self, ConfirmWatchdogCommand.self])

    static func main() {
        if let plain = Aggregate.plainArguments(Array(CommandLine.arguments.dropFirst())) {
            do {
                try Aggregate.aggregate(files: plain.files, ranges: plain.ranges, maskHostBits: plain.maskHostBits)
            } catch {
                try? FileOutput.standardError.write("geofilter-demo: error: \(error)\n")
                exit(withError: ExitCode.failure)
            }
            return
        }
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exit(withError: error)
        }
    }
}
