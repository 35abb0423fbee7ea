internal import Foundation

extension GeoDatabase {
    /// Loads and flattens the data of a source.
    ///
    /// - Parameters:
    ///   - source: where the data is.
    ///   - options: strict (default) or lenient, and the limits on input size.
    ///   - rowProgress: called with the running row count every 65,536 rows while parsing.
    /// - Throws: ``GeoFilterError`` naming the file, line and field of the first malformed row
    ///   (strict mode), or the file that cannot be read.
    public static func load(
        _ source: DataSource, options: ParseOptions = .strict, rowProgress: ((Int) -> Void)? = nil
    ) throws(GeoFilterError) -> GeoDatabase {
        var collector = GeoRowCollector(options: options, rowProgress: rowProgress)
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
        case .dbipCSV(let path):
            try DBIPFormat.read(path: path, into: &collector)
            let month = dbipMonth(path)
            return GeoDatabase(
                collector: collector,
                provenance: DataProvenance(
                    sourceName: "DB-IP IP to Country Lite", version: month.map { String(CivilDate.isoDate($0).prefix(7)) },
                    generatedAt: month, licence: "CC BY 4.0",
                    attribution: "IP Geolocation by DB-IP (https://db-ip.com), licensed CC BY 4.0"))
        case .geoLite2CSV(let directory, let choice):
            try GeoLite2Format.read(directory: directory, choice: choice, into: &collector)
            let date = dateInName(directory)
            return GeoDatabase(
                collector: collector,
                provenance: DataProvenance(
                    sourceName: "MaxMind GeoLite2 Country (\(choice.rawValue) country)", version: date.map(CivilDate.isoDate),
                    generatedAt: date, licence: "GeoLite2 End User License Agreement",
                    attribution: "This product includes GeoLite2 data created by MaxMind, available from https://www.maxmind.com"))
        case .rir(let paths):
            var header = RIRFormat.Header()
            for path in paths { try RIRFormat.read(path: path, into: &collector, header: &header) }
            return GeoDatabase(
                collector: collector,
                provenance: DataProvenance(
                    sourceName: "RIR delegated statistics (\(header.registries.joined(separator: ", ")))",
                    version: header.endDate.map(CivilDate.isoDate), generatedAt: header.endDate,
                    licence: "RIR statistics: free to use, no warranty",
                    attribution: "Delegation data of the Regional Internet Registries (AFRINIC, APNIC, ARIN, LACNIC, RIPE NCC)"))
        case .mmdb(let path, let choice):
            let header = try MMDBFormat.read(path: path, choice: choice, into: &collector)
            return GeoDatabase(collector: collector, provenance: header.provenance(choice: choice))
        case .ipdeny(let directory):
            try IPDenyFormat.read(directory: directory, into: &collector)
            return GeoDatabase(
                collector: collector,
                provenance: DataProvenance(
                    sourceName: "ipdeny.com country zones", licence: "ipdeny.com terms of use",
                    attribution: "Country IP blocks by ipdeny.com (https://www.ipdeny.com)"))
        }
    }

    /// The month in a DB-IP file name (`dbip-country-lite-2026-11.csv.gz`), as seconds.
    private static func dbipMonth(_ path: String) -> Int64? {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        guard let range = name.range(of: #"\d{4}-\d{2}"#, options: .regularExpression) else { return nil }
        let parts = name[range].split(separator: "-").compactMap { Int($0) }
        return CivilDate.epochSeconds(year: parts[0], month: parts[1], day: 1)
    }

    /// A `YYYYMMDD` date in a directory name (`GeoLite2-Country-CSV_20261120`), as seconds.
    private static func dateInName(_ path: String) -> Int64? {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        guard let range = name.range(of: #"(19|20)\d{6}"#, options: .regularExpression) else { return nil }
        return CivilDate.parseDay(name[range])
    }
}
