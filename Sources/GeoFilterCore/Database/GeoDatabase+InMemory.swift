extension GeoDatabase {
    /// The content of a source's files, in memory: what the fuzz targets (`Fuzz/`) and tests
    /// feed the parsers, without files, so millions of inputs can be read in one process.
    ///
    /// Not part of the public API: visible only to `@_spi(Fuzzing) import GeoFilterCore`.
    @_spi(Fuzzing) public enum InMemorySource: Sendable {
        /// A DB-IP Lite CSV file.
        case dbipCSV([UInt8])
        /// IPFire `geoip` and optionally `geoip6` files.
        case ipfire(ipv4: [UInt8], ipv6: [UInt8]?)
        /// RIR delegated-extended files, read together.
        case rir([[UInt8]])
        /// ipdeny zone files: the file name (`ad.zone`, `ch-aggregated.zone`) and content.
        case ipdeny([ZoneFile])
        /// GeoLite2 Country CSV: the locations file, then the IPv4 and IPv6 blocks files.
        case geoLite2CSV(locations: [UInt8], blocks4: [UInt8], blocks6: [UInt8], country: GeoLite2CountryChoice)
    }

    /// An ipdeny zone file in memory.
    @_spi(Fuzzing) public struct ZoneFile: Sendable {
        public var name: String
        public var bytes: [UInt8]
        public init(name: String, bytes: [UInt8]) {
            self.name = name
            self.bytes = bytes
        }
    }

    /// Parses and flattens in-memory content as ``load(_:options:rowProgress:)`` does files.
    ///
    /// - Parameters:
    ///   - readSize: the most bytes one read hands the line reader; a small value cuts the
    ///     content into many reads, as a pipe would, so chunk boundaries are exercised.
    /// - Throws: ``GeoFilterError`` as ``load(_:options:rowProgress:)`` does.
    @_spi(Fuzzing) public static func load(
        _ source: InMemorySource, options: ParseOptions = .strict, readSize: Int = .max
    ) throws(GeoFilterError) -> GeoDatabase {
        var collector = GeoRowCollector(options: options)
        let limit = options.maximumDecompressedBytes
        func input(_ bytes: [UInt8], _ name: String) throws(GeoFilterError) -> InputFile {
            try InputFile(bytes: bytes, name: name, readSize: readSize, decompressedLimit: limit)
        }
        switch source {
        case .dbipCSV(let bytes):
            try DBIPFormat.read(input(bytes, "dbip.csv"), into: &collector)
        case .ipfire(let v4, let v6):
            var header = IPFireFormat.Header()
            try IPFireFormat.read(input(v4, "geoip"), into: &collector, header: &header)
            if let v6 { try IPFireFormat.read(input(v6, "geoip6"), into: &collector, header: &header) }
        case .rir(let files):
            var header = RIRFormat.Header()
            for (index, bytes) in files.enumerated() {
                try RIRFormat.read(input(bytes, "delegated-\(index)"), into: &collector, header: &header)
            }
        case .ipdeny(let files):
            for file in files {
                guard let code = IPDenyFormat.zoneCode(file.name) else { continue }
                try IPDenyFormat.read(input(file.bytes, file.name), code: code, into: &collector)
            }
        case .geoLite2CSV(let locations, let blocks4, let blocks6, let choice):
            try GeoLite2Format.read(
                locations: input(locations, "Locations-en.csv"),
                blocks: [input(blocks4, "Blocks-IPv4.csv"), input(blocks6, "Blocks-IPv6.csv")], choice: choice,
                into: &collector)
        }
        return GeoDatabase(
            collector: collector,
            provenance: DataProvenance(sourceName: "in memory", licence: "none", attribution: "none"))
    }
}
