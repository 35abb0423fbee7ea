/// A MaxMind DB file (spec v2.0) read into memory: metadata, binary search tree with 24-, 28-
/// or 32-bit records, and the data section.
///
/// The whole file is read (gzip-compressed files are inflated, up to a limit), then checked
/// before use: the metadata marker is searched from the end within the last 128 KiB, the
/// metadata must be a map with the required keys, the search tree must fit before the data
/// section and the 16 separator bytes must be zero. Walking and lookups check every record.
struct MMDBReader {
    /// The metadata keys this reader uses.
    struct Metadata {
        var nodeCount: Int
        var recordSize: Int
        var ipVersion: Int
        var databaseType: String
        var buildEpoch: UInt64
        var languages: [String]
        var description: [String: String]
        var majorVersion: Int
        var minorVersion: Int
        /// The whole metadata map.
        var raw: MMDBValue
    }

    let path: String
    let bytes: [UInt8]
    let metadata: Metadata
    /// The size of the search tree in bytes; the data section starts 16 bytes later.
    let treeSize: Int
    /// The data section's decoder.
    let data: MMDBDecoder
    /// The node the IPv4 part of the tree starts at (`::/96` in an IPv6 tree, 0 in an IPv4
    /// tree); or, when the tree ends before 96 bits, the record there (≥ node count).
    let ipv4Start: Int
    /// How many bits the path to ``ipv4Start`` consumed (96, or fewer when it ended early).
    let ipv4StartDepth: Int

    /// The 14-byte marker before the metadata.
    static let marker: [UInt8] = [0xAB, 0xCD, 0xEF] + Array("MaxMind.com".utf8)
    /// The metadata (with marker) is at most this long.
    static let metadataWindow = 128 * 1024

    /// Reads and checks a file.
    ///
    /// - Parameters:
    ///   - limit: the most bytes the file (or its decompressed content) may have.
    /// - Throws: ``GeoFilterError`` (`.file` when it cannot be read, `.limitExceeded` when too
    ///   large, `.invalidInput` naming the byte offset when corrupt).
    init(path: String, limit: Int = 4 << 30) throws(GeoFilterError) {
        let input = try InputFile(path: path, decompressedLimit: limit)
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = try input.read(into: &buffer, at: 0)
            if count == 0 { break }
            guard result.count + count <= limit else {
                throw GeoFilterError(.limitExceeded, "the file is larger than \(limit) bytes", location: .init(path: input.name))
            }
            result.append(contentsOf: buffer[0..<count])
        }
        try self.init(bytes: result, path: input.name)
    }

    /// Checks a file's bytes.
    init(bytes: [UInt8], path: String) throws(GeoFilterError) {
        self.path = path
        self.bytes = bytes
        func fail(_ offset: Int, _ message: String) -> GeoFilterError {
            GeoFilterError(.invalidInput, "not a valid MaxMind DB file at byte \(offset): \(message)", location: .init(path: path))
        }
        // The last marker within the window.
        let marker = Self.marker
        let lowest = Swift.max(0, bytes.count - Self.metadataWindow)
        var found: Int?
        var candidate = bytes.count - marker.count
        while candidate >= lowest {
            if bytes[candidate] == marker[0], bytes[candidate..<candidate + marker.count].elementsEqual(marker) {
                found = candidate
                break
            }
            candidate -= 1
        }
        guard let markerOffset = found else {
            throw fail(bytes.count, "no metadata marker (\\xAB\\xCD\\xEFMaxMind.com) in the last \(Self.metadataWindow) bytes")
        }
        let metaStart = markerOffset + marker.count
        let metaDecoder = MMDBDecoder(bytes: bytes, start: metaStart, end: bytes.count, path: path, section: "metadata")
        guard metaStart < bytes.count else { throw fail(metaStart, "the metadata is empty") }
        let raw = try metaDecoder.decode(at: metaStart).value
        guard case .map = raw else { throw fail(metaStart, "the metadata is not a map") }
        func number(_ key: String) throws(GeoFilterError) -> UInt64 {
            guard let value = raw[key]?.unsignedValue else {
                throw fail(metaStart, "the metadata lacks the unsigned integer '\(key)'")
            }
            return value
        }
        let nodeCount = try number("node_count")
        let recordSize = try number("record_size")
        let ipVersion = try number("ip_version")
        let major = try number("binary_format_major_version")
        let minor = (try? number("binary_format_minor_version")) ?? 0
        let epoch = (try? number("build_epoch")) ?? 0
        guard major == 2 else { throw fail(metaStart, "binary format version \(major) (only 2 is known)") }
        guard [24, 28, 32].contains(recordSize) else { throw fail(metaStart, "record size \(recordSize) (24, 28 or 32 expected)") }
        guard ipVersion == 4 || ipVersion == 6 else { throw fail(metaStart, "ip_version \(ipVersion) (4 or 6 expected)") }
        // The tree must fit before the marker (refused before anything is sized from it).
        guard nodeCount > 0, nodeCount <= UInt64(markerOffset) / (recordSize / 4) else {
            throw fail(metaStart, "node_count \(nodeCount) does not fit in a file of \(bytes.count) bytes")
        }
        let treeSize = Int(nodeCount) * Int(recordSize) / 4
        guard treeSize + 16 <= markerOffset else {
            throw fail(treeSize, "the search tree (\(treeSize) bytes) and separator do not fit before the metadata")
        }
        guard bytes[treeSize..<treeSize + 16].allSatisfy({ $0 == 0 }) else {
            throw fail(treeSize, "the 16 bytes after the search tree are not zero")
        }
        var languages: [String] = []
        if case .array(let values) = raw["languages"] { languages = values.compactMap(\.stringValue) }
        var description: [String: String] = [:]
        if case .map(let entries) = raw["description"] {
            for (key, value) in entries { if let text = value.stringValue { description[key] = text } }
        }
        metadata = Metadata(
            nodeCount: Int(nodeCount), recordSize: Int(recordSize), ipVersion: Int(ipVersion),
            databaseType: raw["database_type"]?.stringValue ?? "", buildEpoch: epoch, languages: languages,
            description: description, majorVersion: Int(major), minorVersion: Int(minor), raw: raw)
        self.treeSize = treeSize
        data = MMDBDecoder(bytes: bytes, start: treeSize + 16, end: markerOffset, path: path, section: "data section")
        // Find the IPv4 start: 96 zero bits from the root in an IPv6 tree.
        var node = 0
        var depth = 0
        if ipVersion == 6 {
            while depth < 96, node < Int(nodeCount) {
                node = try Self.record(bytes, node: node, right: false, recordSize: Int(recordSize), path: path)
                depth += 1
            }
        }
        ipv4Start = node
        ipv4StartDepth = depth
    }

    /// One record of a node: the left (0 bit) or right (1 bit) one.
    @inline(__always)
    static func record(_ bytes: [UInt8], node: Int, right: Bool, recordSize: Int, path: String) throws(GeoFilterError) -> Int {
        // The caller ensures node < node_count, so the node is inside the tree.
        switch recordSize {
        case 24:
            let base = node * 6 + (right ? 3 : 0)
            return Int(bytes[base]) << 16 | Int(bytes[base + 1]) << 8 | Int(bytes[base + 2])
        case 28:
            let base = node * 7
            if right {
                return (Int(bytes[base + 3]) & 0x0F) << 24 | Int(bytes[base + 4]) << 16 | Int(bytes[base + 5]) << 8
                    | Int(bytes[base + 6])
            }
            return (Int(bytes[base + 3]) & 0xF0) << 20 | Int(bytes[base]) << 16 | Int(bytes[base + 1]) << 8 | Int(bytes[base + 2])
        default:
            let base = node * 8 + (right ? 4 : 0)
            return Int(bytes[base]) << 24 | Int(bytes[base + 1]) << 16 | Int(bytes[base + 2]) << 8 | Int(bytes[base + 3])
        }
    }

    @inline(__always)
    func record(node: Int, right: Bool) throws(GeoFilterError) -> Int {
        try Self.record(bytes, node: node, right: right, recordSize: metadata.recordSize, path: path)
    }

    /// The data section offset (for ``data``) that a record value > node count points to.
    ///
    /// - Throws: when the value points into the separator or past the data section.
    @inline(__always)
    func dataOffset(record value: Int, at node: Int) throws(GeoFilterError) -> Int {
        let offset = value - metadata.nodeCount - 16
        guard offset >= 0, offset < data.end - data.start else {
            let nodeOffset = node * metadata.recordSize / 4
            throw GeoFilterError(
                .invalidInput,
                "corrupt MaxMind DB search tree at byte \(nodeOffset): record \(value) of node \(node) points "
                    + (offset < 0 ? "into the separator" : "past the data section (\(data.end - data.start) bytes)"),
                location: .init(path: path))
        }
        return data.start + offset
    }

    /// The result of a lookup: the prefix length of the network that holds the address, and
    /// the file offset of its data record (nil when the tree has none).
    struct Lookup: Equatable {
        var prefixLength: Int
        var dataOffset: Int?
    }

    /// Looks up an address (`bits` significant bits of `value`, MSB first).
    private func lookup(_ value: UInt128, bits: Int, from start: Int, startDepth: Int) throws(GeoFilterError) -> Lookup {
        var node = start
        var depth = startDepth
        let nodeCount = metadata.nodeCount
        var index = 0
        while node < nodeCount {
            guard index < bits else {
                throw GeoFilterError(
                    .invalidInput, "corrupt MaxMind DB search tree at byte \(node * metadata.recordSize / 4): the tree is deeper than the address",
                    location: .init(path: path))
            }
            let bit = (value >> UInt128(bits - 1 - index)) & 1 == 1
            let next = try record(node: node, right: bit)
            index += 1
            depth += 1
            if next == nodeCount { return Lookup(prefixLength: depth, dataOffset: nil) }
            if next > nodeCount { return Lookup(prefixLength: depth, dataOffset: try dataOffset(record: next, at: node)) }
            node = next
        }
        // Only for a start record that already is data or empty (an IPv6 tree that ends before ::/96).
        if node == nodeCount { return Lookup(prefixLength: depth, dataOffset: nil) }
        return Lookup(prefixLength: depth, dataOffset: try dataOffset(record: node, at: 0))
    }

    /// Looks up an IPv4 address (in an IPv6 tree, at `::a.b.c.d`). The prefix length counts
    /// IPv4 bits (0...32).
    func lookup(_ address: IPv4Address) throws(GeoFilterError) -> Lookup {
        var result = try lookup(UInt128(address.value), bits: 32, from: ipv4Start, startDepth: ipv4StartDepth)
        if metadata.ipVersion == 6 { result.prefixLength = Swift.max(0, result.prefixLength - 96) }
        return result
    }

    /// Looks up an IPv6 address; nil in an IPv4-only database.
    func lookup(_ address: IPv6Address) throws(GeoFilterError) -> Lookup? {
        guard metadata.ipVersion == 6 else { return nil }
        return try lookup(address.value, bits: 128, from: 0, startDepth: 0)
    }

    /// Visits every network with data, in address order, calling `body(family, network
    /// address, prefix length, data offset)`: IPv4 networks once each (from `::/96` in an
    /// IPv6 tree, with IPv4 addresses and prefix lengths), the IPv4 alias subtrees
    /// (`::ffff:0:0/96`, `2002::/16`: any record other than `::/96`'s that leads to the IPv4
    /// start node) skipped.
    ///
    /// - Throws: when a record is invalid, the tree is deeper than the address or the walk
    ///   visits more nodes than the tree has (a loop or shared subtrees).
    func walk(_ body: (IPAddressFamily, UInt128, Int, Int) throws(GeoFilterError) -> Void) throws(GeoFilterError) {
        let nodeCount = metadata.nodeCount
        let bits = metadata.ipVersion == 6 ? 128 : 32
        let isIPv6 = metadata.ipVersion == 6
        // Explicit stack of (node, depth, network value so far); the right child is pushed
        // first so networks come out in ascending order.
        var stack: [(node: Int, depth: Int, value: UInt128)] = [(0, 0, 0)]
        stack.reserveCapacity(bits * 2 + 2)
        var visits = 0
        let maximumVisits = nodeCount + 1
        func emit(_ value: UInt128, _ depth: Int, _ offset: Int) throws(GeoFilterError) {
            if isIPv6 {
                if depth >= 96, value >> 32 == 0 {
                    try body(.ipv4, value, depth - 96, offset)
                } else {
                    try body(.ipv6, value, depth, offset)
                    // A network covering ::/96 without an IPv4 subtree answers every IPv4 lookup.
                    if depth < 96, value == 0, ipv4Start >= nodeCount { try body(.ipv4, 0, 0, offset) }
                }
            } else {
                try body(.ipv4, value, depth, offset)
            }
        }
        while let (node, depth, value) = stack.popLast() {
            visits += 1
            guard visits <= maximumVisits else {
                throw GeoFilterError(
                    .invalidInput,
                    "corrupt MaxMind DB search tree: the walk visits more than the \(nodeCount) nodes of the tree (records loop or share subtrees)",
                    location: .init(path: path))
            }
            guard depth < bits else {
                throw GeoFilterError(
                    .invalidInput,
                    "corrupt MaxMind DB search tree at byte \(node * metadata.recordSize / 4): node \(node) lies deeper than \(bits) bits",
                    location: .init(path: path))
            }
            for right in [true, false] {
                let next = try record(node: node, right: right)
                let childValue = right ? value | (1 << UInt128(bits - 1 - depth)) : value
                if next < nodeCount {
                    // Skip the IPv4 aliases: edges into the IPv4 start node other than ::/96's.
                    if isIPv6, next == ipv4Start, !(depth + 1 == 96 && childValue == 0) { continue }
                    stack.append((next, depth + 1, childValue))
                } else if next > nodeCount {
                    try emit(childValue, depth + 1, try dataOffset(record: next, at: node))
                }
            }
        }
    }
}
