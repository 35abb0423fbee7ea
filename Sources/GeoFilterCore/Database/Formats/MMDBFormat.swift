/// MaxMind DB files (`.mmdb`, optionally gzip-compressed): GeoLite2/GeoIP2 Country or City,
/// DB-IP Country Lite, and third-party databases with a top-level `country_code`.
///
/// The whole search tree is walked (``MMDBReader/walk(_:)``); each network's country comes
/// from its data record, chosen by ``GeoLite2CountryChoice``: `country.iso_code` (located,
/// falling back to `registered_country.iso_code`), `registered_country.iso_code`, or
/// `represented_country.iso_code` (falling back to the located country). When the record has
/// none of these maps, a top-level `country_code` string (or a record that is itself a
/// two-letter string) is used. Records without a country (continent only, anycast only) are
/// counted as ignored. Each distinct record is decoded once: networks sharing a record share
/// the answer, found by its data offset.
enum MMDBFormat {
    /// What the metadata says, for provenance.
    struct Header {
        var databaseType: String
        var buildEpoch: UInt64
        var description: String?
        var languages: [String]
    }

    private static let keyCountry = Array("country".utf8)
    private static let keyRegistered = Array("registered_country".utf8)
    private static let keyRepresented = Array("represented_country".utf8)
    private static let keyISOCode = Array("iso_code".utf8)
    private static let keyCountryCode = Array("country_code".utf8)

    static func read(
        path: String, choice: GeoLite2CountryChoice, into collector: inout GeoRowCollector
    ) throws(GeoFilterError) -> Header {
        let reader = try MMDBReader(path: path, limit: collector.options.maximumDecompressedBytes)
        let file = collector.beginFile(reader.path)
        var cache: [Int: RegionCode?] = [:]
        // Legitimate files need a few header reads per data byte; a generous budget stops crafted ones.
        var data = reader.data
        data.budget = MMDBDecoder.WorkBudget(64 * reader.bytes.count + (1 << 22))
        try reader.walk { family, value, prefixLength, record throws(GeoFilterError) in
            let code: RegionCode?
            // Records that are pointers to one shared map are decoded once, too.
            let offset = try data.resolved(record)
            if let known = cache[offset] {
                code = known
            } else {
                do throws(GeoFilterError) {
                    code = try country(data, at: offset, choice: choice)
                } catch {
                    guard collector.options.lenient, error.code == .invalidInput else { throw error }
                    collector.report.skip(.init(location: .init(path: reader.path), message: error.message))
                    return
                }
                cache[offset] = code
            }
            guard let code else {
                collector.report.rows += 1
                collector.report.ignoredRows += 1
                return
            }
            switch family {
            case .ipv4:
                let low = UInt32(truncatingIfNeeded: value)
                let high = prefixLength == 0 ? UInt32.max : low | (UInt32.max >> UInt32(prefixLength))
                try collector.add(low, high, code, file: file, line: 0)
            case .ipv6:
                let high = prefixLength == 0 ? UInt128.max : value | (UInt128.max >> UInt128(prefixLength))
                try collector.add(value, high, code, file: file, line: 0)
            }
        }
        let meta = reader.metadata
        return Header(
            databaseType: meta.databaseType, buildEpoch: meta.buildEpoch,
            description: meta.description["en"] ?? meta.description.values.sorted().first, languages: meta.languages)
    }

    /// The country of the record at `offset` (a file offset in the data section).
    ///
    /// - Throws: when the record is corrupt, or its code is not two letters.
    static func country(_ data: MMDBDecoder, at offset: Int, choice: GeoLite2CountryChoice) throws(GeoFilterError) -> RegionCode? {
        func code(_ key: [UInt8]) throws(GeoFilterError) -> RegionCode? {
            guard let inner = try data.find(key, inMapAt: offset), let iso = try data.find(keyISOCode, inMapAt: inner) else {
                return nil
            }
            return try regionCode(data, at: iso, field: String(decoding: key, as: UTF8.self) + ".iso_code")
        }
        let order: [[UInt8]] =
            switch choice {
            case .located: [keyCountry, keyRegistered]
            case .registered: [keyRegistered]
            case .represented: [keyRepresented, keyCountry, keyRegistered]
            }
        for key in order {
            if let chosen = try code(key) { return chosen }
        }
        return try fallback(data, at: offset)
    }

    /// Third-party layouts: `{"country_code": "XX"}` or a bare `"XX"`.
    private static func fallback(_ data: MMDBDecoder, at offset: Int) throws(GeoFilterError) -> RegionCode? {
        if let bare = try data.find(keyCountryCode, inMapAt: offset) {
            return try regionCode(data, at: bare, field: "country_code")
        }
        if let text = try data.stringBytes(at: offset), text.count == 2 {
            return try regionCode(data, at: offset, field: "record")
        }
        return nil
    }

    private static func regionCode(_ data: MMDBDecoder, at offset: Int, field: String) throws(GeoFilterError) -> RegionCode? {
        guard let text = try data.stringBytes(at: offset) else {
            throw data.error(offset, "\(field) is not a string")
        }
        guard let key = RegionCode.key(text) else {
            throw data.error(offset, "\(field) '\(String(decoding: text.prefix(16), as: UTF8.self))' is not a two-letter country code")
        }
        return RegionCode(key: key)
    }
}

extension MMDBFormat.Header {
    /// Provenance from the metadata: `database_type` names the source (and so its licence),
    /// `build_epoch` dates it, `description.en` and the languages are kept in the name.
    func provenance(choice: GeoLite2CountryChoice) -> DataProvenance {
        let date = Int64(exactly: buildEpoch).flatMap { $0 > 0 && $0 < 253_402_300_800 ? $0 : nil }
        let type = databaseType.isEmpty ? "unknown type" : databaseType
        var name = "MaxMind DB \(type) (\(choice.rawValue) country)"
        if let description, !description.isEmpty, description != databaseType { name += ": \(description)" }
        if !languages.isEmpty { name += " [\(languages.joined(separator: ","))]" }
        let licence: String
        let attribution: String
        if databaseType.hasPrefix("GeoLite2") {
            licence = "GeoLite2 End User License Agreement"
            attribution = "This product includes GeoLite2 data created by MaxMind, available from https://www.maxmind.com"
        } else if databaseType.hasPrefix("GeoIP2") {
            licence = "MaxMind GeoIP2 licence"
            attribution = "GeoIP2 data by MaxMind (https://www.maxmind.com)"
        } else if databaseType.uppercased().hasPrefix("DBIP") {
            licence = "CC BY 4.0"
            attribution = "IP Geolocation by DB-IP (https://db-ip.com), licensed CC BY 4.0"
        } else {
            licence = "as stated by the database's publisher"
            attribution = "Data from the MaxMind DB file's publisher (\(type))"
        }
        return DataProvenance(
            sourceName: name, version: date.map(CivilDate.isoDate), generatedAt: date, licence: licence, attribution: attribution)
    }
}
