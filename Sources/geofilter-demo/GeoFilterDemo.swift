import ArgumentParser
import GeoFilterBundledData
import GeoFilterCore

/// `geofilter-demo`: a command-line program for checking GeoFilter by hand.
@main
struct GeoFilterDemo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "geofilter-demo",
        abstract: "Check GeoFilter's country filtering by hand.",
        subcommands: [Countries.self, Lookup.self, Aggregate.self, Plan.self, Explain.self, Apply.self, Status.self, Remove.self, Info.self, Snapshot.self])

    static func main() {
        GeoFilterBundledData.register()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exit(withError: error)
        }
    }
}
