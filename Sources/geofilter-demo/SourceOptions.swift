import ArgumentParser
import GeoFilterBundledData
import GeoFilterCore

/// `--source SPEC` and `--lenient`, shared by the commands that read country data.
struct SourceOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Where the country data comes from.",
            discussion: "bundled (default) | dbip-csv:PATH | geolite2-csv:DIR[,registered|represented] | rir:PATH[,PATH...] | ipdeny:DIR | ipfire:V4PATH[,V6PATH] | snapshot:PATH",
            valueName: "SPEC"))
    var source = "bundled"

    @Flag(name: .long, help: "Skip and count malformed rows instead of stopping at the first one.")
    var lenient = false

    /// Loads the database the options name.
    func load() throws(GeoFilterError) -> GeoDatabase {
        let source = try DataSource(spec: source)
        if source == .bundled { GeoFilterBundledData.register() }
        return try GeoDatabase.load(source, options: lenient ? .lenient : .strict)
    }
}
