/// Country subnets from one data source: country → (IPv4 set, IPv6 set), lookups, statistics
/// and provenance.
///
/// Build one with ``load(_:options:)`` from a ``DataSource``. The data is flattened on load:
/// every address has at most one region code (where rows overlap, the more specific row wins;
/// see ``ParseReport``).
public struct GeoDatabase: Sendable {
    let map4: SegmentMap<UInt32>
    let map6: SegmentMap<UInt128>
    /// Each region's addresses, by region code.
    private let sets: [RegionCode: CIDRSet]
    /// Where the data came from.
    public let provenance: DataProvenance
    /// What loading found: rows, skipped rows, conflicts, flags.
    public let report: ParseReport

    init(map4: SegmentMap<UInt32>, map6: SegmentMap<UInt128>, provenance: DataProvenance, report: ParseReport) {
        self.map4 = map4
        self.map6 = map6
        self.provenance = provenance
        self.report = report
        // Dense per-code lists, found through a table indexed by the two code bytes (through a
        // dictionary for a small map, where filling the 65,536-entry table would cost more).
        let useTable = map4.count + map6.count > 4096
        var slot = useTable ? [Int32](repeating: -1, count: 1 << 16) : []
        var smallSlot: [UInt16: Int] = [:]
        var order: [RegionCode] = []
        var lists4: [RangeList<UInt32>] = []
        var lists6: [RangeList<UInt128>] = []
        func slotIndex(_ code: RegionCode) -> Int {
            if !useTable {
                if let index = smallSlot[code.key] { return index }
                smallSlot[code.key] = order.count
            } else if slot[Int(code.key)] < 0 {
                slot[Int(code.key)] = Int32(order.count)
            } else {
                return Int(slot[Int(code.key)])
            }
            order.append(code)
            lists4.append(RangeList())
            lists6.append(RangeList())
            return order.count - 1
        }
        for index in 0..<map4.count {
            lists4[slotIndex(map4.code(index))].appendMerging(map4.starts[index], map4.end(index))
        }
        for index in 0..<map6.count {
            lists6[slotIndex(map6.code(index))].appendMerging(map6.starts[index], map6.end(index))
        }
        var sets: [RegionCode: CIDRSet] = [:]
        for (index, code) in order.enumerated() {
            sets[code] = CIDRSet(v4: lists4[index], v6: lists6[index])
        }
        self.sets = sets
    }

    /// Builds a database from collected rows.
    init(collector: consuming GeoRowCollector, provenance: DataProvenance) {
        var collector = collector
        var report = collector.report
        let files = collector.files
        let locate = { (file: UInt16, line: Int32) in GeoFilterError.Location(path: files[Int(file)], line: Int(line)) }
        let map4 = SegmentMap(rows: &collector.rows4, report: &report, locate: locate)
        let map6 = SegmentMap(rows: &collector.rows6, report: &report, locate: locate)
        var provenance = provenance
        provenance.files = files
        self.init(map4: map4, map6: map6, provenance: provenance, report: report)
    }

    /// Every region code that has addresses, ordered by code.
    public var regions: [RegionCode] { sets.keys.sorted() }

    /// The countries (real ISO codes only) that have addresses, ordered by code.
    public var countries: [Country] { regions.compactMap(\.country) }

    /// The addresses of one region (a country or a pseudo-code).
    public func addresses(of region: RegionCode) -> CIDRSet { sets[region] ?? CIDRSet() }

    /// The addresses of one country.
    public func addresses(of country: Country) -> CIDRSet { addresses(of: RegionCode(country)) }

    /// The union of the addresses of several countries.
    ///
    /// - Complexity: O(n) in the number of segments of the data.
    public func addresses(of countries: some Sequence<Country>) -> CIDRSet {
        var wanted = [Bool](repeating: false, count: 1 << 16)
        for country in countries { wanted[Int(RegionCode(country).key)] = true }
        return CIDRSet(v4: Self.union(map4, wanted), v6: Self.union(map6, wanted))
    }

    /// The segments of one family whose region passes `include`, ascending, each with its
    /// region. Segments of different regions may touch; those of one region never do.
    func regionSegments(_ family: IPAddressFamily, where include: (RegionCode) -> Bool) -> RegionSegments {
        var wanted = [Bool](repeating: false, count: 1 << 16)
        for region in regions where include(region) { wanted[Int(region.key)] = true }
        switch family {
        case .ipv4:
            let (list, regions) = Self.segments(map4, wanted)
            return RegionSegments(ranges: .ipv4(list), regions: regions)
        case .ipv6:
            let (list, regions) = Self.segments(map6, wanted)
            return RegionSegments(ranges: .ipv6(list), regions: regions)
        }
    }

    private static func segments<V: AddressValue>(_ map: SegmentMap<V>, _ wanted: [Bool]) -> (RangeList<V>, [RegionCode]) {
        var list = RangeList<V>()
        var regions: [RegionCode] = []
        for index in 0..<map.count where wanted[Int(map.code(index).key)] {
            list.lows.append(map.starts[index])
            list.highs.append(map.end(index))
            regions.append(map.code(index))
        }
        return (list, regions)
    }

    private static func union<V: AddressValue>(_ map: SegmentMap<V>, _ wanted: [Bool]) -> RangeList<V> {
        var list = RangeList<V>()
        for index in 0..<map.count where wanted[Int(map.code(index).key)] {
            list.appendMerging(map.starts[index], map.end(index))
        }
        return list
    }

    /// The region of an IPv4 address, or nil when the data has none.
    ///
    /// - Complexity: O(log k), k the segments starting in the address's /16.
    @inlinable
    public func region(of address: IPv4Address) -> RegionCode? { map4Region(address.value) }

    /// The region of an IPv6 address, or nil when the data has none.
    @inlinable
    public func region(of address: IPv6Address) -> RegionCode? { map6Region(address.value) }

    @usableFromInline
    func map4Region(_ value: UInt32) -> RegionCode? { map4.code(of: value) }

    @usableFromInline
    func map6Region(_ value: UInt128) -> RegionCode? { map6.code(of: value) }

    /// The region of an address and the largest network around it with the same answer, as
    /// AiFw's lookup API returns them; nil when the data has no region for the address.
    public func lookup(_ address: IPAddress) -> GeoLookup? {
        switch address {
        case .v4(let a):
            guard let region = map4.code(of: a.value) else { return nil }
            let (start, length) = map4.network(around: a.value)
            return GeoLookup(region: region, network: .v4(IPNetwork(masking: IPv4Address(start), prefixLength: length)))
        case .v6(let a):
            guard let region = map6.code(of: a.value) else { return nil }
            let (start, length) = map6.network(around: a.value)
            return GeoLookup(region: region, network: .v6(IPNetwork(masking: IPv6Address(start), prefixLength: length)))
        }
    }

    /// The largest network around an address in which every address has the same answer as
    /// it (the same region, or none).
    public func network(around address: IPAddress) -> IPAnyNetwork {
        switch address {
        case .v4(let a):
            let (start, length) = map4.network(around: a.value)
            return .v4(IPNetwork(masking: IPv4Address(start), prefixLength: length))
        case .v6(let a):
            let (start, length) = map6.network(around: a.value)
            return .v6(IPNetwork(masking: IPv6Address(start), prefixLength: length))
        }
    }

    /// Figures per region: ranges, minimal networks and addresses per family.
    public var statistics: [RegionStatistics] {
        regions.map { region in
            let set = sets[region]!
            return RegionStatistics(
                region: region, ipv4Networks: set.networkCount(.ipv4), ipv6Networks: set.networkCount(.ipv6),
                ipv4Ranges: set.rangeCount(.ipv4), ipv6Ranges: set.rangeCount(.ipv6),
                ipv4Addresses: set.ipv4AddressCount)
        }
    }

    /// The number of flattened segments (ranges with one region) per family.
    public func segmentCount(_ family: IPAddressFamily) -> Int {
        family == .ipv4 ? map4.count : map6.count
    }

    /// The number of networks (minimal prefixes of every region) per family: the "N subnets"
    /// a host shows.
    public func networkCount(_ family: IPAddressFamily) -> Int {
        statistics.reduce(0) { $0 + (family == .ipv4 ? $1.ipv4Networks : $1.ipv6Networks) }
    }
}
