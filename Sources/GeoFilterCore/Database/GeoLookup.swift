/// The answer of ``GeoDatabase/lookup(_:)``.
public struct GeoLookup: Sendable, Hashable {
    /// The region code of the address.
    public var region: RegionCode
    /// The largest network around the address with the same region.
    public var network: IPAnyNetwork
}
