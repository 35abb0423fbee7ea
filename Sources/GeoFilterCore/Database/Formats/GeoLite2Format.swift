internal import Foundation

/// MaxMind GeoLite2 (or GeoIP2) Country CSV: `*-Blocks-IPv4.csv`, `*-Blocks-IPv6.csv` and
/// `*-Locations-en.csv` in one directory. Columns are found by header name, so files with or
/// without `is_anycast` (and older 6-column files) read alike; quoted fields are allowed.
///
/// Each block's country comes from ``GeoLite2CountryChoice``. Blocks whose chosen location is
/// a continent without a country, or empty, are counted as ignored. Anonymous-proxy,
/// satellite-provider and anycast flags are counted in ``ParseReport/flaggedRows``.
enum GeoLite2Format {
    static func read(directory: String, choice: GeoLite2CountryChoice, into collector: inout GeoRowCollector) throws(GeoFilterError) {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted() } catch {
            throw GeoFilterError(.file, "cannot list the directory", location: .init(path: directory))
        }
        func find(_ suffix: String) throws(GeoFilterError) -> String {
            guard let name = names.first(where: { $0.hasSuffix(suffix) }) else {
                throw GeoFilterError(.invalidInput, "no *\(suffix) file here", location: .init(path: directory))
            }
            return directory + "/" + name
        }
        let limit = collector.options.maximumDecompressedBytes
        let locations = try InputFile(path: find("-Locations-en.csv"), decompressedLimit: limit)
        let countries = try readLocations(locations, collector: &collector)
        try readBlocks(InputFile(path: find("-Blocks-IPv4.csv"), decompressedLimit: limit), countries: countries, choice: choice, into: &collector)
        try readBlocks(InputFile(path: find("-Blocks-IPv6.csv"), decompressedLimit: limit), countries: countries, choice: choice, into: &collector)
    }

    /// Reads the three files given as inputs: locations, then IPv4 and IPv6 blocks.
    static func read(
        locations: InputFile, blocks: [InputFile], choice: GeoLite2CountryChoice, into collector: inout GeoRowCollector
    ) throws(GeoFilterError) {
        let countries = try readLocations(locations, collector: &collector)
        for input in blocks { try readBlocks(input, countries: countries, choice: choice, into: &collector) }
    }

    /// The most locations a locations file may list (a Country file has about 250, a City
    /// file about 130,000), so the table kept while reading blocks stays bounded.
    static let maximumLocations = 1 << 20

    /// geoname_id → country code (nil for continent-only locations).
    private static func readLocations(_ input: InputFile, collector: inout GeoRowCollector) throws(GeoFilterError) -> [UInt32: RegionCode?] {
        var reader = LineReader(input)
        let name = reader.name
        let file = collector.beginFile(name)
        var fields: [(start: Int, end: Int)] = []
        var columns: [String: Int]?
        var result: [UInt32: RegionCode?] = [:]
        try reader.forEachLine { bytes, start, end, line throws(GeoFilterError) in
            if start == end { return }
            guard FieldSplitter.split(bytes, start, end, separator: UInt8(ascii: ","), quotes: true, into: &fields) else {
                return try collector.malformed("a quoted field is not closed", file: file, line: line, field: nil)
            }
            guard let header = columns else {
                columns = try headerColumns(bytes, fields, required: ["geoname_id", "country_iso_code"], path: name, line: line)
                return
            }
            let idColumn = header["geoname_id"]!
            let codeColumn = header["country_iso_code"]!
            guard fields.count > Swift.max(idColumn, codeColumn) else {
                return try collector.malformed(
                    "expected at least \(Swift.max(idColumn, codeColumn) + 1) fields, found \(fields.count)", file: file,
                    line: line, field: nil)
            }
            let id = fields[idColumn]
            let code = fields[codeColumn]
            guard let geonameID: UInt32 = FieldSplitter.decimal(bytes, id.start, id.end) else {
                return try collector.malformed(
                    "'\(FieldSplitter.quoted(bytes, id.start, id.end))' is not a geoname id", file: file, line: line, field: "geoname_id")
            }
            if result.count >= maximumLocations && result[geonameID] == nil {
                throw GeoFilterError(
                    .limitExceeded, "more than \(maximumLocations) locations; is this the right file?",
                    location: .init(path: name, line: line))
            }
            if code.start == code.end {
                result[geonameID] = .some(nil)
            } else if let region = regionCode(bytes, code) {
                result[geonameID] = region
            } else {
                try collector.malformed(
                    "'\(FieldSplitter.quoted(bytes, code.start, code.end))' is not a two-letter country code", file: file, line: line,
                    field: "country_iso_code")
            }
        }
        return result
    }

    private static func readBlocks(
        _ input: InputFile, countries: [UInt32: RegionCode?], choice: GeoLite2CountryChoice, into collector: inout GeoRowCollector
    ) throws(GeoFilterError) {
        var reader = LineReader(input)
        let name = reader.name
        let file = collector.beginFile(name)
        var fields: [(start: Int, end: Int)] = []
        var columns: [String: Int]?
        var indices: (network: Int, located: Int, registered: Int, represented: Int?, flags: [(String, Int)])?
        try reader.forEachLine { bytes, start, end, line throws(GeoFilterError) in
            if start == end { return }
            guard FieldSplitter.split(bytes, start, end, separator: UInt8(ascii: ","), quotes: true, into: &fields) else {
                return try collector.malformed("a quoted field is not closed", file: file, line: line, field: nil)
            }
            guard let index = indices else {
                let header = try headerColumns(
                    bytes, fields, required: ["network", "geoname_id", "registered_country_geoname_id"], path: name,
                    line: line)
                columns = header
                indices = (
                    header["network"]!, header["geoname_id"]!, header["registered_country_geoname_id"]!,
                    header["represented_country_geoname_id"],
                    ["is_anonymous_proxy", "is_satellite_provider", "is_anycast"].compactMap { name in header[name].map { (name, $0) } }
                )
                return
            }
            guard fields.count >= columns!.count - 3 else {
                return try collector.malformed(
                    "expected \(columns!.count) fields, found \(fields.count)", file: file, line: line, field: nil)
            }
            func field(_ position: Int?) -> (start: Int, end: Int)? {
                guard let position, position < fields.count else { return nil }
                return fields[position]
            }
            func id(_ position: Int?) -> UInt32? {
                guard let value = field(position), value.start < value.end else { return nil }
                return FieldSplitter.decimal(bytes, value.start, value.end)
            }
            for (name, position) in index.flags {
                if let value = field(position), value.end - value.start == 1, bytes[value.start] == UInt8(ascii: "1") {
                    collector.report.flaggedRows[name, default: 0] += 1
                }
            }
            let located = id(index.located)
            let registered = id(index.registered)
            let chosen: UInt32? =
                switch choice {
                case .located: located ?? registered
                case .registered: registered
                case .represented: id(index.represented) ?? located ?? registered
                }
            guard let chosen, let known = countries[chosen], let code = known else {
                if let chosen, countries[chosen] == nil {
                    return try collector.malformed("geoname id \(chosen) is not in the locations file", file: file, line: line, field: "geoname_id")
                }
                collector.report.ignoredRows += 1
                return
            }
            guard let network = field(index.network) else {
                return try collector.malformed(
                    "the row has no network field (column \(index.network + 1))", file: file, line: line, field: "network")
            }
            let entry: ListEntry?
            do throws(IPAddressParseError.Reason) {
                guard FieldSplitter.contains(UInt8(ascii: "/"), bytes, network.start, network.end) else { throw .invalidPrefixLength }
                entry = try ListEntry.parse(line: bytes, from: network.start, to: network.end, maskingHostBits: false)
            } catch {
                return try collector.malformed(
                    IPAddressParseError(error, text: FieldSplitter.quoted(bytes, network.start, network.end)).description,
                    file: file, line: line, field: "network")
            }
            switch entry {
            case .ipv4(let low, let high): try collector.add(low, high, code, file: file, line: line)
            case .ipv6(let low, let high): try collector.add(low, high, code, file: file, line: line)
            case nil: try collector.malformed("the network field is empty", file: file, line: line, field: "network")
            }
        }
        if indices == nil {
            throw GeoFilterError(.invalidInput, "the file is empty: no header line", location: .init(path: reader.name))
        }
    }

    /// Column positions by name, from a header line that must contain `required`.
    private static func headerColumns(
        _ bytes: Span<UInt8>, _ fields: [(start: Int, end: Int)], required: [String], path: String, line: Int
    ) throws(GeoFilterError) -> [String: Int] {
        var columns: [String: Int] = [:]
        for (position, field) in fields.enumerated() {
            columns[FieldSplitter.text(bytes, field.start, field.end)] = position
        }
        let missing = required.filter { columns[$0] == nil }
        guard missing.isEmpty else {
            throw GeoFilterError(
                .invalidInput, "the header line lacks the column(s) \(missing.joined(separator: ", "))",
                location: .init(path: path, line: line))
        }
        return columns
    }
}
