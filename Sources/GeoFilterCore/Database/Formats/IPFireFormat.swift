/// IPFire Location exports as Tor ships them (Debian `tor-geoipdb`: `geoip`, `geoip6`):
/// `LOW,HIGH,CC` per line, inclusive, IPv4 as decimal integers or dotted text, IPv6 as text;
/// also Tor's legacy quoted form `"LOW","HIGH","CC",...`. `#` lines are comments; the export
/// header's `# Generated:` and `# License:` lines are kept as provenance.
enum IPFireFormat {
    /// The header facts found while reading.
    struct Header {
        var generated: String?
        var licence: String?
    }

    static func read(path: String, into collector: inout GeoRowCollector, header: inout Header) throws(GeoFilterError) {
        try read(
            InputFile(path: path, decompressedLimit: collector.options.maximumDecompressedBytes), into: &collector,
            header: &header)
    }

    static func read(_ input: InputFile, into collector: inout GeoRowCollector, header: inout Header) throws(GeoFilterError) {
        var reader = LineReader(input)
        let file = collector.beginFile(reader.name)
        var fields: [(start: Int, end: Int)] = []
        try reader.forEachLine { bytes, start, end, line throws(GeoFilterError) in
            let first = trimStart(bytes, start, end)
            let last = trimEnd(bytes, first, end)
            if first == last { return }
            if bytes[first] == UInt8(ascii: "#") {
                readHeader(bytes, first, last, into: &header)
                return
            }
            guard FieldSplitter.split(bytes, first, last, separator: UInt8(ascii: ","), quotes: true, into: &fields),
                fields.count >= 3
            else {
                return try collector.malformed(
                    "expected LOW,HIGH,COUNTRY, found '\(FieldSplitter.quoted(bytes, first, last))'", file: file, line: line,
                    field: nil)
            }
            guard let code = regionCode(bytes, fields[2]) else {
                return try collector.malformed(
                    "'\(FieldSplitter.quoted(bytes, fields[2].start, fields[2].end))' is not a two-letter country code",
                    file: file, line: line, field: "country")
            }
            let low = fields[0]
            let high = fields[1]
            if FieldSplitter.contains(UInt8(ascii: ":"), bytes, low.start, low.end) {
                guard let a = try? UInt128.parseAddress(bytes, from: low.start, to: low.end) else {
                    return try badField(bytes, low, "low", &collector, file, line)
                }
                guard let b = try? UInt128.parseAddress(bytes, from: high.start, to: high.end) else {
                    return try badField(bytes, high, "high", &collector, file, line)
                }
                guard a <= b else { return try reversed(&collector, file, line) }
                try collector.add(a, b, code, file: file, line: line)
            } else {
                guard let a = ipv4Value(bytes, low) else { return try badField(bytes, low, "low", &collector, file, line) }
                guard let b = ipv4Value(bytes, high) else { return try badField(bytes, high, "high", &collector, file, line) }
                guard a <= b else { return try reversed(&collector, file, line) }
                try collector.add(a, b, code, file: file, line: line)
            }
        }
    }

    /// An IPv4 field: a decimal integer (Tor's form) or dotted text.
    @inline(__always)
    private static func ipv4Value(_ bytes: Span<UInt8>, _ field: (start: Int, end: Int)) -> UInt32? {
        if FieldSplitter.contains(UInt8(ascii: "."), bytes, field.start, field.end) {
            return try? UInt32.parseAddress(bytes, from: field.start, to: field.end)
        }
        return FieldSplitter.decimal(bytes, field.start, field.end)
    }

    private static func badField(
        _ bytes: Span<UInt8>, _ field: (start: Int, end: Int), _ name: String, _ collector: inout GeoRowCollector,
        _ file: UInt16, _ line: Int
    ) throws(GeoFilterError) {
        try collector.malformed(
            "'\(FieldSplitter.quoted(bytes, field.start, field.end))' is not an address", file: file, line: line, field: name)
    }

    private static func reversed(_ collector: inout GeoRowCollector, _ file: UInt16, _ line: Int) throws(GeoFilterError) {
        try collector.malformed("the range ends before it starts", file: file, line: line, field: "high")
    }

    private static func readHeader(_ bytes: Span<UInt8>, _ start: Int, _ end: Int, into header: inout Header) {
        let text = FieldSplitter.text(bytes, start, end).escapedForMessage()
        if text.hasPrefix("# Generated:") {
            header.generated = String(text.dropFirst("# Generated:".count)).trimmingSpaces
        } else if text.hasPrefix("# License:") {
            header.licence = String(text.dropFirst("# License:".count)).trimmingSpaces
        }
    }
}

/// A region code field: two letters (any case) or `??`; nil otherwise.
@inline(__always)
func regionCode(_ bytes: Span<UInt8>, _ field: (start: Int, end: Int)) -> RegionCode? {
    guard field.end - field.start == 2,
        let key = RegionCode.key(bytes[field.start], bytes[field.start + 1])
    else { return nil }
    return RegionCode(key: key)
}

extension String {
    var trimmingSpaces: String {
        String(Substring(self).trimmingSpaces)
    }
}
