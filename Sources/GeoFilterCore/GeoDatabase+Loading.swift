extension GeoDatabase {
    /// Loads and flattens the data of a source.
    ///
    /// - Parameters:
    ///   - source: where the data is.
    ///   - options: strict (default) or lenient, and the limits on input size.
    /// - Throws: ``GeoFilterError`` naming the file, line and field of the first malformed row
    ///   (strict mode), or the file that cannot be read.
    public static func load(_ source: DataSource, options: ParseOptions = .strict) throws(GeoFilterError) -> GeoDatabase {
        var collector = GeoRowCollector(options: options)
        switch source {
        case .bundled:
            return try BundledSnapshot.load()
        case .snapshot(let path):
            return try GeoSnapshot.load(path: path)
        case .ipfire(let v4, let v6):
            var header = IPFireFormat.Header()
            try IPFireFormat.read(path: v4, into: &collector, header: &header)
            if let v6 { try IPFireFormat.read(path: v6, into: &collector, header: &header) }
            let generated = header.generated.flatMap(CivilDate.parseRFC1123)
            let provenance = DataProvenance(
                sourceName: "IPFire Location", version: generated.map(CivilDate.isoDate), generatedAt: generated,
                licence: header.licence ?? "CC BY-SA 4.0",
                attribution: "IP geolocation data by the IPFire Location project (https://location.ipfire.org), licensed CC BY-SA 4.0")
            return GeoDatabase(collector: collector, provenance: provenance)
        default:
            throw GeoFilterError(.unsupported, "the source \(source) is not supported yet")
        }
    }
}
