import ArgumentParser
import GeoFilterCore

/// `geofilter-demo`: a command-line program for checking GeoFilter by hand.
@main
struct GeoFilterDemo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "geofilter-demo",
        abstract: "Check GeoFilter's country filtering by hand.",
        subcommands: [Aggregate.self])
}
