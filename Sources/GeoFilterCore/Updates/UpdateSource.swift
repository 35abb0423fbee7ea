/// Where an update downloads country data from: the files, how to check them, and how to read
/// them. Build one with a named constructor (``dbipLite(year:month:baseURL:)``,
/// ``geoLite2Country(accountID:licenceKey:choice:url:)``, ``rir(_:)``, ``ipdenyAllZones(baseURL:)``,
/// ``ipdenyCountries(_:baseURL:)``), from explicit URLs, or from a SPEC (``init(spec:credentials:now:)``).
public struct UpdateSource: Sendable, Hashable, CustomStringConvertible {
    /// How the downloaded files are read.
    public enum Format: String, Sendable, Hashable, CaseIterable {
        /// DB-IP Lite CSV (`.csv` or `.csv.gz`), one file.
        case dbipCSV = "dbip-csv"
        /// MaxMind GeoLite2 Country CSV, one `.zip` (the three CSV files inside are read).
        case geoLite2CSV = "geolite2-csv"
        /// RIR delegated-extended statistics files.
        case rir
        /// ipdeny zone files (`cc.zone`, `cc-aggregated.zone`) or `.tar.gz` bundles of them.
        case ipdeny
        /// IPFire/Tor `geoip` and optionally `geoip6`.
        case ipfire
        /// A GeoFilter snapshot.
        case snapshot
    }

    /// How a file's integrity is checked against what its source publishes.
    public enum Checksum: Sendable, Hashable {
        /// A `.md5` file: the first 32-hex-digit token (RIR, BSD or GNU style).
        case md5(url: String)
        /// A `.sha256` file: the first 64-hex-digit token (MaxMind).
        case sha256(url: String)
    }

    /// One file to download.
    public struct RemoteFile: Sendable, Hashable {
        /// Where the file is downloaded from.
        public var url: String
        /// The file's name where it is read (`ipv4/cn-aggregated.zone` puts it in a folder).
        public var name: String
        /// The checksum file that must match, if the source publishes one.
        public var checksum: Checksum?
        /// URLs tried in order when `url` answers 404 (DB-IP's previous month early in a month).
        public var fallbacks: [String]

        public init(url: String, name: String? = nil, checksum: Checksum? = nil, fallbacks: [String] = []) {
            self.url = url
            self.name = name ?? UpdateSource.fileName(of: url)
            self.checksum = checksum
            self.fallbacks = fallbacks
        }
    }

    /// How the files are read.
    public var format: Format
    /// The files to download, in order.
    public var files: [RemoteFile]
    /// `user:password` for HTTP Basic authentication (MaxMind's account id and licence key);
    /// never written to the cache or shown.
    public var credentials: String?
    /// For GeoLite2: which country of a network counts.
    public var geoLite2Choice: GeoLite2CountryChoice
    /// The SPEC-like text shown and kept in the cache manifest.
    private var label: String

    public init(format: Format, files: [RemoteFile], credentials: String? = nil, geoLite2Choice: GeoLite2CountryChoice = .located) {
        self.format = format
        self.files = files
        self.credentials = credentials
        self.geoLite2Choice = geoLite2Choice
        label = "\(format.rawValue):" + files.map(\.url).joined(separator: ",")
    }

    public var description: String { label }

    // MARK: Named sources

    /// DB-IP IP to Country Lite for a month (CC BY 4.0, no account); when that month's file is
    /// not published yet (404 early in the month), the previous month's.
    public static func dbipLite(year: Int, month: Int, baseURL: String = "https://download.db-ip.com/free") -> UpdateSource {
        func url(_ year: Int, _ month: Int) -> String {
            "\(baseURL)/dbip-country-lite-\(year)-\(month < 10 ? "0" : "")\(month).csv.gz"
        }
        let previous = month == 1 ? (year - 1, 12) : (year, month - 1)
        var source = UpdateSource(format: .dbipCSV, files: [RemoteFile(url: url(year, month), fallbacks: [url(previous.0, previous.1)])])
        source.label = "dbip-lite:\(year)-\(month < 10 ? "0" : "")\(month)"
        return source
    }

    /// DB-IP Lite for the current month (UTC) at `now` (seconds since 1970).
    public static func dbipLite(now: Int64) -> UpdateSource {
        let date = CivilDate.components(now)
        return dbipLite(year: date.year, month: date.month)
    }

    /// MaxMind GeoLite2 Country CSV (a free account and licence key; the GeoLite2 EULA applies:
    /// keep it current, do not redistribute). Checked against MaxMind's published SHA-256.
    public static func geoLite2Country(
        accountID: String, licenceKey: String, choice: GeoLite2CountryChoice = .located,
        url: String = "https://download.maxmind.com/geoip/databases/GeoLite2-Country-CSV/download"
    ) -> UpdateSource {
        var source = UpdateSource(
            format: .geoLite2CSV,
            files: [RemoteFile(url: "\(url)?suffix=zip", name: "GeoLite2-Country-CSV.zip", checksum: .sha256(url: "\(url)?suffix=zip.sha256"))],
            credentials: "\(accountID):\(licenceKey)", geoLite2Choice: choice)
        source.label = "geolite2" + (choice == .located ? "" : ":\(choice.rawValue)")
        return source
    }

    /// The Regional Internet Registries.
    public enum Registry: String, Sendable, Hashable, CaseIterable {
        case afrinic, apnic, arin, lacnic, ripencc

        /// The `delegated-…-extended-latest` URL (each has a `.md5` beside it).
        public var url: String {
            switch self {
            case .afrinic: "https://ftp.afrinic.net/pub/stats/afrinic/delegated-afrinic-extended-latest"
            case .apnic: "https://ftp.apnic.net/stats/apnic/delegated-apnic-extended-latest"
            case .arin: "https://ftp.arin.net/pub/stats/arin/delegated-arin-extended-latest"
            case .lacnic: "https://ftp.lacnic.net/pub/stats/lacnic/delegated-lacnic-extended-latest"
            case .ripencc: "https://ftp.ripe.net/pub/stats/ripencc/delegated-ripencc-extended-latest"
            }
        }
    }

    /// The registries' delegated-extended files, each checked against its `.md5`.
    public static func rir(_ registries: [Registry] = Registry.allCases) -> UpdateSource {
        var source = UpdateSource(format: .rir, files: registries.map { RemoteFile(url: $0.url, checksum: .md5(url: $0.url + ".md5")) })
        source.label = registries == Registry.allCases ? "rir" : "rir:" + registries.map(\.rawValue).joined(separator: ",")
        return source
    }

    /// ipdeny's all-zones bundles, IPv4 and IPv6 (fetch at most once a day: ipdeny's terms).
    public static func ipdenyAllZones(baseURL: String = "https://www.ipdeny.com") -> UpdateSource {
        var source = UpdateSource(format: .ipdeny, files: [
            RemoteFile(url: "\(baseURL)/ipblocks/data/countries/all-zones.tar.gz", name: "ipv4-all-zones.tar.gz"),
            RemoteFile(url: "\(baseURL)/ipv6/ipaddresses/blocks/ipv6-all-zones.tar.gz", name: "ipv6-all-zones.tar.gz"),
        ])
        source.label = "ipdeny"
        return source
    }

    /// ipdeny's aggregated zone files of some countries, IPv4 and IPv6.
    public static func ipdenyCountries(_ countries: [Country], baseURL: String = "https://www.ipdeny.com") -> UpdateSource {
        let codes = countries.map { $0.alpha2.lowercased() }
        var source = UpdateSource(format: .ipdeny, files: codes.flatMap { code in
            [
                RemoteFile(url: "\(baseURL)/ipblocks/data/aggregated/\(code)-aggregated.zone", name: "ipv4/\(code)-aggregated.zone"),
                RemoteFile(url: "\(baseURL)/ipv6/ipaddresses/aggregated/\(code)-aggregated.zone", name: "ipv6/\(code)-aggregated.zone"),
            ]
        })
        source.label = "ipdeny:" + codes.joined(separator: ",")
        return source
    }

    // MARK: SPEC

    /// Parses an update SPEC: `dbip-lite[:YYYY-MM]`, `geolite2[:registered|represented]` (with
    /// `credentials` as `ACCOUNT_ID:LICENCE_KEY`), `rir[:arin,ripencc,...]`, `ipdeny[:cn,ru,...]`,
    /// or a data SPEC whose paths are URLs: `dbip-csv:URL`, `geolite2-csv:URL` (a zip),
    /// `rir:URL[,URL...]`, `ipdeny:URL[,URL...]`, `ipfire:URL[,URL]`, `snapshot:URL`.
    ///
    /// - Throws: ``GeoFilterError`` saying which forms exist.
    public init(spec: String, credentials: String? = nil, now: Int64) throws(GeoFilterError) {
        let kind = spec.split(separator: ":", maxSplits: 1).first.map(String.init) ?? spec
        let argument = spec.count > kind.count ? String(spec.dropFirst(kind.count + 1)) : ""
        let parts = argument.split(separator: ",").map(String.init)
        let urls = !parts.isEmpty && parts.allSatisfy { $0.hasPrefix("http://") || $0.hasPrefix("https://") }
        if urls, let format = Format(rawValue: kind) {
            guard !(format == .ipfire && parts.count > 2), !([.dbipCSV, .geoLite2CSV, .snapshot].contains(format) && parts.count > 1) else {
                throw Self.invalid(spec)
            }
            self.init(format: format, files: Self.uniqueFiles(parts))
            return
        }
        switch kind {
        case "dbip-lite":
            if argument.isEmpty {
                self = .dbipLite(now: now)
            } else {
                let fields = argument.split(separator: "-").compactMap { Int($0) }
                guard fields.count == 2, (1...12).contains(fields[1]), fields[0] >= 2000 else { throw Self.invalid(spec) }
                self = .dbipLite(year: fields[0], month: fields[1])
            }
        case "geolite2":
            let choice = argument.isEmpty ? .located : GeoLite2CountryChoice(rawValue: argument)
            guard let choice else { throw Self.invalid(spec) }
            guard let credentials, let colon = credentials.firstIndex(of: ":") else {
                throw GeoFilterError(.invalidInput, "GeoLite2 needs a MaxMind account id and licence key (ACCOUNT_ID:LICENCE_KEY)")
            }
            self = .geoLite2Country(accountID: String(credentials[..<colon]), licenceKey: String(credentials[credentials.index(after: colon)...]), choice: choice)
        case "rir":
            var registries: [Registry] = []
            for part in parts {
                guard let registry = Registry(rawValue: part.lowercased()) else { throw Self.invalid(spec) }
                registries.append(registry)
            }
            self = .rir(registries.isEmpty ? Registry.allCases : registries)
        case "ipdeny":
            if parts.isEmpty {
                self = .ipdenyAllZones()
            } else {
                var countries: [Country] = []
                for part in parts {
                    guard let country = try? Country(code: part) else { throw Self.invalid(spec) }
                    countries.append(country)
                }
                self = .ipdenyCountries(countries)
            }
        default:
            throw Self.invalid(spec)
        }
    }

    private static func invalid(_ spec: String) -> GeoFilterError {
        GeoFilterError(
            .invalidInput,
            "'\(spec)' is not an update source; use dbip-lite[:YYYY-MM], geolite2[:registered|represented], rir[:arin,ripencc,...], ipdeny[:cc,...], or FORMAT:URL[,URL...] with FORMAT one of \(Format.allCases.map(\.rawValue).joined(separator: ", "))")
    }

    /// Files for explicit URLs, named after the URLs (numbered when two names agree).
    private static func uniqueFiles(_ urls: [String]) -> [RemoteFile] {
        var seen: Set<String> = []
        return urls.enumerated().map { index, url in
            var name = fileName(of: url)
            if !seen.insert(name).inserted { name = "\(index + 1)-\(name)" }
            return RemoteFile(url: url, name: name)
        }
    }

    /// A safe file name from a URL's last path component (query and unsafe characters dropped).
    static func fileName(of url: String) -> String {
        let path = url.split(separator: "?").first.map(String.init) ?? url
        let last = path.split(separator: "/").last.map(String.init) ?? "download"
        let safe = String(last.map { $0.isLetter || $0.isNumber || "._-".contains($0) ? $0 : "_" })
        return safe.isEmpty || safe.hasPrefix(".") ? "download\(safe)" : safe
    }
}
