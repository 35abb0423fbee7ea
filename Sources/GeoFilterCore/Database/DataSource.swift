/// Where country subnets come from.
///
/// Each case names files on disk; ``init(spec:)`` reads the demo's `SPEC` syntax.
public enum DataSource: Sendable, Hashable, CustomStringConvertible {
    /// The compact snapshot shipped with GeoFilter (the `GeoFilterBundledData` product),
    /// built from Debian's tor-geoipdb (IPFire Location data, CC BY-SA 4.0). Works offline.
    case bundled
    /// A GeoFilter snapshot file (the bundled format) at a path.
    case snapshot(path: String)
    /// IPFire Location exports as Tor ships them: an IPv4 `geoip` and optionally an IPv6
    /// `geoip6` file (`/usr/share/tor/geoip`, `/usr/share/tor/geoip6` from tor-geoipdb).
    case ipfire(ipv4: String, ipv6: String?)
    /// DB-IP IP to Country Lite CSV (`dbip-country-lite-YYYY-MM.csv[.gz]`).
    case dbipCSV(path: String)
    /// MaxMind GeoLite2 Country CSV: a directory with `GeoLite2-Country-Blocks-IPv4.csv`,
    /// `-Blocks-IPv6.csv` and `-Locations-en.csv`.
    case geoLite2CSV(directory: String, country: GeoLite2CountryChoice)
    /// RIR delegated-extended statistics files (any of the five registries, or NRO's combined
    /// file), read together.
    case rir(paths: [String])
    /// A directory of ipdeny zone files (`cc.zone` or `cc-aggregated.zone`, IPv4 and IPv6),
    /// also in subdirectories one level down.
    case ipdeny(directory: String)
    /// A MaxMind DB file (`.mmdb`, optionally gzip-compressed): GeoLite2/GeoIP2 Country or
    /// City, DB-IP Country Lite, or a database with a top-level `country_code`; `country`
    /// chooses the located, registered or represented country.
    case mmdb(path: String, country: GeoLite2CountryChoice = .located)

    /// Parses a SPEC: `bundled`, `snapshot:PATH`, `dbip-csv:PATH`, `geolite2-csv:DIR`
    /// (`geolite2-csv:DIR,registered` or `,represented` to choose the country),
    /// `rir:PATH[,PATH...]`, `ipdeny:DIR`, `ipfire:V4PATH[,V6PATH]`, `mmdb:PATH`
    /// (`mmdb:PATH,registered` or `,represented`).
    ///
    /// - Throws: ``GeoFilterError`` saying which forms exist.
    public init(spec: String) throws(GeoFilterError) {
        if spec == "bundled" {
            self = .bundled
            return
        }
        guard let colon = spec.firstIndex(of: ":") else { throw Self.invalid(spec) }
        let kind = spec[..<colon]
        let argument = String(spec[spec.index(after: colon)...])
        let parts = argument.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard !argument.isEmpty, parts.allSatisfy({ !$0.isEmpty }) else { throw Self.invalid(spec) }
        switch kind {
        case "snapshot": self = .snapshot(path: argument)
        case "dbip-csv": self = .dbipCSV(path: argument)
        case "rir": self = .rir(paths: parts)
        case "ipdeny": self = .ipdeny(directory: argument)
        case "ipfire":
            guard parts.count <= 2 else { throw Self.invalid(spec) }
            self = .ipfire(ipv4: parts[0], ipv6: parts.count == 2 ? parts[1] : nil)
        case "geolite2-csv":
            guard parts.count <= 2 else { throw Self.invalid(spec) }
            let choice = parts.count == 2 ? GeoLite2CountryChoice(rawValue: parts[1]) : .located
            guard let choice else { throw Self.invalid(spec) }
            self = .geoLite2CSV(directory: parts[0], country: choice)
        case "mmdb":
            guard parts.count <= 2 else { throw Self.invalid(spec) }
            let choice = parts.count == 2 ? GeoLite2CountryChoice(rawValue: parts[1]) : .located
            guard let choice else { throw Self.invalid(spec) }
            self = .mmdb(path: parts[0], country: choice)
        default:
            throw Self.invalid(spec)
        }
    }

    private static func invalid(_ spec: String) -> GeoFilterError {
        GeoFilterError(
            .invalidInput,
            "'\(spec)' is not a data source; use bundled, dbip-csv:PATH, geolite2-csv:DIR[,registered|represented], rir:PATH[,PATH...], ipdeny:DIR, ipfire:V4PATH[,V6PATH], mmdb:PATH[,registered|represented] or snapshot:PATH")
    }

    /// The SPEC text of this source.
    public var description: String {
        switch self {
        case .bundled: "bundled"
        case .snapshot(let path): "snapshot:\(path)"
        case .ipfire(let v4, let v6): "ipfire:\(v4)" + (v6.map { ",\($0)" } ?? "")
        case .dbipCSV(let path): "dbip-csv:\(path)"
        case .geoLite2CSV(let directory, let choice): "geolite2-csv:\(directory)" + (choice == .located ? "" : ",\(choice.rawValue)")
        case .rir(let paths): "rir:" + paths.joined(separator: ",")
        case .ipdeny(let directory): "ipdeny:\(directory)"
        case .mmdb(let path, let choice): "mmdb:\(path)" + (choice == .located ? "" : ",\(choice.rawValue)")
        }
    }
}
