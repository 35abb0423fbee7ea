/// Looks up many addresses and writes one result per address, fast enough for a log's worth of
/// addresses piped into `geofilter-demo lookup -` (millions per second; no string per line).
///
/// Text: `IP<TAB>CC<TAB>NETWORK` (`-` for both when the data has no region). JSON: one object
/// per line, `{"ip":…,"country":…,"network":…}` (null when unknown), the lines of one JSON array.
package struct BulkLookup {
    package enum Style: Sendable {
        case text
        case json
    }

    private let database: GeoDatabase
    private let style: Style
    private let write: ([UInt8]) throws(GeoFilterError) -> Void
    private var output: [UInt8] = []
    private var written = 0

    /// - Parameter write: receives the output in chunks of about 256 KiB.
    package init(database: GeoDatabase, style: Style, write: @escaping ([UInt8]) throws(GeoFilterError) -> Void) {
        self.database = database
        self.style = style
        self.write = write
        output.reserveCapacity(1 << 18 + 256)
        if style == .json { output.append(UInt8(ascii: "[")) }
    }

    /// Looks up one address given as text (a command-line argument).
    ///
    /// - Throws: ``GeoFilterError`` when the text is not an address.
    package mutating func lookUp(_ text: String) throws(GeoFilterError) {
        var bytes = Array(text.utf8)
        let address: IPAddress
        do throws(IPAddressParseError) { address = try IPAddress(parsing: text) } catch {
            throw GeoFilterError(.invalidInput, "argument \(error)")
        }
        try bytes.withUnsafeMutableBufferPointer { buffer throws(GeoFilterError) in
            try append(echo: Span(_unsafeElements: buffer), 0, buffer.count, address)
        }
    }

    /// Looks up every address of a file (`-`: standard input): one per line, with `#` comments
    /// and blank lines, as `aggregate` reads.
    ///
    /// - Throws: ``GeoFilterError`` naming the file and line of the first entry that is not an
    ///   address, or the file that cannot be read.
    package mutating func lookUp(path: String) throws(GeoFilterError) {
        var reader = LineReader(try InputFile(path: path))
        let name = reader.name
        try reader.forEachLine { bytes, start, end, line throws(GeoFilterError) in
            var stop = start
            while stop < end && bytes[stop] != UInt8(ascii: "#") { stop += 1 }
            var first = start
            while first < stop && (bytes[first] == 0x20 || bytes[first] == 0x09) { first += 1 }
            var last = stop
            while last > first && (bytes[last - 1] == 0x20 || bytes[last - 1] == 0x09) { last -= 1 }
            if first == last { return }
            let address: IPAddress
            do throws(IPAddressParseError.Reason) {
                address = try Self.parse(bytes, first, last)
            } catch {
                var text: [UInt8] = []
                for index in first..<last { text.append(bytes[index]) }
                let parseError = IPAddressParseError(error, text: String(decoding: text, as: UTF8.self))
                throw GeoFilterError(.invalidInput, parseError.description, location: .init(path: name, line: line), underlying: parseError)
            }
            try append(echo: bytes, first, last, address)
        }
    }

    /// Writes what is left (and closes the JSON array).
    package mutating func finish() throws(GeoFilterError) {
        if style == .json { output += written == 0 ? Array("]\n".utf8) : Array("\n]\n".utf8) }
        if !output.isEmpty { try write(output) }
        output.removeAll()
    }

    private static func parse(_ bytes: Span<UInt8>, _ start: Int, _ end: Int) throws(IPAddressParseError.Reason) -> IPAddress {
        var index = start
        while index < end {
            if bytes[index] == AddressParser.colon { return .v6(IPv6Address(try AddressParser.ipv6(bytes, from: start, to: end))) }
            index += 1
        }
        return .v4(IPv4Address(try AddressParser.ipv4(bytes, from: start, to: end)))
    }

    private mutating func append(echo bytes: Span<UInt8>, _ start: Int, _ end: Int, _ address: IPAddress) throws(GeoFilterError) {
        let found = database.lookup(address)
        switch style {
        case .text:
            for index in start..<end { output.append(bytes[index]) }
            output.append(0x09)
            if let found {
                output.append(UInt8(truncatingIfNeeded: found.region.key >> 8))
                output.append(UInt8(truncatingIfNeeded: found.region.key))
                output.append(0x09)
                Self.appendNetwork(found.network, to: &output)
            } else {
                output += [UInt8(ascii: "-"), 0x09, UInt8(ascii: "-")]
            }
            output.append(0x0A)
        case .json:
            // The echoed text parsed as an address: hex digits, dots and colons need no escaping.
            output += written == 0 ? Self.firstObject : Self.nextObject
            for index in start..<end { output.append(bytes[index]) }
            if let found {
                output += Self.countryKey
                output.append(UInt8(truncatingIfNeeded: found.region.key >> 8))
                output.append(UInt8(truncatingIfNeeded: found.region.key))
                output += Self.networkKey
                Self.appendNetwork(found.network, to: &output)
                output += Self.objectEnd
            } else {
                output += Self.unknownEnd
            }
        }
        written += 1
        if output.count >= 1 << 18 {
            try write(output)
            output.removeAll(keepingCapacity: true)
        }
    }

    private static let firstObject = Array("\n{\"ip\":\"".utf8)
    private static let nextObject = Array(",\n{\"ip\":\"".utf8)
    private static let countryKey = Array("\",\"country\":\"".utf8)
    private static let networkKey = Array("\",\"network\":\"".utf8)
    private static let objectEnd = Array("\"}".utf8)
    private static let unknownEnd = Array("\",\"country\":null,\"network\":null}".utf8)

    private static func appendNetwork(_ network: IPAnyNetwork, to output: inout [UInt8]) {
        switch network {
        case .v4(let network):
            network.address.value.appendAddressText(to: &output)
            output.append(UInt8(ascii: "/"))
            AddressFormatter.appendDecimal(UInt8(network.prefixLength), to: &output)
        case .v6(let network):
            network.address.value.appendAddressText(to: &output)
            output.append(UInt8(ascii: "/"))
            AddressFormatter.appendDecimal(UInt8(network.prefixLength), to: &output)
        }
    }
}
