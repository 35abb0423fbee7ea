import ArgumentParser
import GeoFilterBundledData
import GeoFilterCore

/// `--source SPEC` and `--lenient`, shared by the commands that read country data.
struct SourceOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Where the country data comes from.",
            discussion: "bundled (default) | dbip-csv:PATH | geolite2-csv:DIR[,registered|represented] | rir:PATH[,PATH...] | ipdeny:DIR | ipfire:V4PATH[,V6PATH] | mmdb:PATH[,registered|represented] | snapshot:PATH",
            valueName: "SPEC"))
    var source = "bundled"

    @Flag(name: .long, help: "Skip and count malformed rows instead of stopping at the first one.")
    var lenient = false

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Use the last good copy that `update` kept in this directory (the bundled database when it is empty or corrupt).",
            valueName: "DIR"))
    var cache: String?

    /// Loads the database the options name.
    func load() throws(GeoFilterError) -> GeoDatabase {
        if let cache {
            guard source == "bundled" else { throw GeoFilterError(.invalidInput, "use either --cache or --source, not both") }
            GeoFilterBundledData.register()
            let loaded = try DataCache.load(directory: cache)
            switch loaded.origin {
            case .cache: break
            case .bundledEmptyCache:
                try FileOutput.standardError.write("geofilter-demo: warning: the cache \(cache) is empty; using the bundled database\n")
            case .bundledUnusableCache(let reason):
                try FileOutput.standardError.write("geofilter-demo: warning: the cache \(cache) is unusable (\(reason)); using the bundled database\n")
            }
            return loaded.database
        }
        if source.contains("http://") || source.contains("https://") {
            throw GeoFilterError(
                .invalidInput, "'\(source)' names a URL: download it with `geofilter-demo update --source \(source) --cache DIR`, then use --cache DIR")
        }
        let source = try DataSource(spec: source)
        if source == .bundled { GeoFilterBundledData.register() }
        return try GeoDatabase.load(source, options: lenient ? .lenient : .strict)
    }
}
