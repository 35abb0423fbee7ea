/// Counts describing one copy of the data, kept in the cache manifest.
public struct UpdateFigures: Sendable, Hashable, Codable {
    /// Ranges with a region, IPv4 and IPv6.
    public var ipv4Ranges: Int
    public var ipv6Ranges: Int
    /// IPv4 addresses with a region.
    public var ipv4Addresses: UInt64
    /// IPv6 addresses as a floating-point count (2^128 does not fit an integer).
    public var ipv6Addresses: Double
    /// The countries with at least one range.
    public var countries: [String]

    init(_ database: GeoDatabase) {
        // The database is flattened (each address has at most one region), so the regions'
        // figures add up.
        var countries: [String] = []
        ipv4Ranges = 0
        ipv6Ranges = 0
        ipv4Addresses = 0
        ipv6Addresses = 0
        for region in database.regions {
            let set = database.addresses(of: region)
            ipv4Ranges += set.rangeCount(.ipv4)
            ipv6Ranges += set.rangeCount(.ipv6)
            ipv4Addresses += set.ipv4AddressCount
            ipv6Addresses += set.ipv6AddressCount
            if let country = region.country, !set.isEmpty { countries.append(country.alpha2) }
        }
        self.countries = countries.sorted()
    }
}
