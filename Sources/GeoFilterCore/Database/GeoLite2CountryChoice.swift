/// Which country of a GeoLite2 block a firewall matches.
public enum GeoLite2CountryChoice: String, Sendable, Hashable, CaseIterable {
    /// Where MaxMind locates the network (`geoname_id`), falling back to the registered country
    /// when the location is empty.
    case located
    /// The country where the network is registered (`registered_country_geoname_id`).
    case registered
    /// The country a network represents (military bases abroad, `represented_country_geoname_id`),
    /// falling back to the located country.
    case represented
}
