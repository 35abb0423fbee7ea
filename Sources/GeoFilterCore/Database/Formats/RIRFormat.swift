/// RIR delegated-extended statistics (AFRINIC, APNIC, ARIN, LACNIC, RIPE NCC, and NRO's
/// combined file): `#` comments, a version line, summary lines, then records
/// `registry|cc|type|start|value|date|status[|opaque-id[|extensions]]`.
///
/// Only `allocated` and `assigned` IPv4/IPv6 records are used; `asn` records and other statuses
/// are counted as ignored. IPv4 `value` is an address count (not always a power of two);
/// IPv6 `value` is a prefix length. A file with fewer records than its version line announces
/// is truncated and refused.
enum RIRFormat {
    /// Facts from the version lines of the files read.
    struct Header {
        var registries: [String] = []
        var endDate: Int64?
    }

    static func read(path: String, into collector: inout GeoRowCollector, header: inout Header) throws(GeoFilterError) {
        try read(
            InputFile(path: path, decompressedLimit: collector.options.maximumDecompressedBytes), into: &collector,
            header: &header)
    }

    static func read(_ input: InputFile, into collector: inout GeoRowCollector, header: inout Header) throws(GeoFilterError) {
        var reader = LineReader(input)
        let name = reader.name
        let file = collector.beginFile(name)
        var fields: [(start: Int, end: Int)] = []
        var announced: Int?
        var records = 0
        try reader.forEachLine { bytes, start, end, line throws(GeoFilterError) in
            let first = trimStart(bytes, start, end)
            let last = trimEnd(bytes, first, end)
            if first == last || bytes[first] == UInt8(ascii: "#") { return }
            guard FieldSplitter.split(bytes, first, last, separator: UInt8(ascii: "|"), quotes: false, into: &fields) else {
                return try collector.malformed("too many '|' fields", file: file, line: line, field: nil)
            }
            func text(_ index: Int) -> String { FieldSplitter.text(bytes, fields[index].start, fields[index].end) }
            func quoted(_ index: Int) -> String { text(index).escapedForMessage() }
            if announced == nil {
                // The version line: version|registry|serial|records|startdate|enddate|UTCoffset
                guard fields.count >= 6, isVersion(text(0)), let count = Int(text(3)) else {
                    throw GeoFilterError(
                        .invalidInput, "expected the version line (version|registry|serial|records|startdate|enddate|offset)",
                        location: .init(path: name, line: line))
                }
                announced = count
                header.registries.append(quoted(1))
                if let date = CivilDate.parseDay(text(5)) { header.endDate = max(header.endDate ?? date, date) }
                return
            }
            if fields.count == 6 && text(5) == "summary" { return }
            records += 1
            guard (7...9).contains(fields.count) else {
                return try collector.malformed(
                    "expected 7 to 9 '|' fields (registry|cc|type|start|value|date|status...), found \(fields.count)",
                    file: file, line: line, field: nil)
            }
            let type = text(2)
            let status = text(6)
            guard type == "ipv4" || type == "ipv6", status == "allocated" || status == "assigned" else {
                guard ["asn", "ipv4", "ipv6"].contains(type) else {
                    return try collector.malformed("'\(type.escapedForMessage())' is not a record type (asn, ipv4, ipv6)", file: file, line: line, field: "type")
                }
                collector.report.ignoredRows += 1
                return
            }
            guard let code = regionCode(bytes, fields[1]) else {
                return try collector.malformed(
                    "'\(quoted(1))' is not a two-letter country code", file: file, line: line, field: "cc")
            }
            let startField = fields[3]
            let valueField = fields[4]
            if type == "ipv4" {
                guard let low = try? UInt32.parseAddress(bytes, from: startField.start, to: startField.end) else {
                    return try RangeRow.bad(bytes, startField, "start", &collector, file, line)
                }
                guard let count: UInt64 = FieldSplitter.decimal(bytes, valueField.start, valueField.end), count > 0,
                    UInt64(low) + count - 1 <= UInt64(UInt32.max)
                else {
                    return try collector.malformed(
                        "'\(quoted(4))' is not an address count that fits after \(quoted(3))", file: file, line: line, field: "value")
                }
                try collector.add(low, UInt32(UInt64(low) + count - 1), code, file: file, line: line)
            } else {
                guard let low = try? UInt128.parseAddress(bytes, from: startField.start, to: startField.end) else {
                    return try RangeRow.bad(bytes, startField, "start", &collector, file, line)
                }
                guard let length: UInt8 = FieldSplitter.decimal(bytes, valueField.start, valueField.end), length <= 128 else {
                    return try collector.malformed("'\(quoted(4))' is not an IPv6 prefix length", file: file, line: line, field: "value")
                }
                let hostMask = UInt128.hostMask(prefixLength: Int(length))
                guard low & hostMask == 0 else {
                    return try collector.malformed(
                        "\(quoted(3))/\(length) has bits set beyond the prefix length", file: file, line: line, field: "start")
                }
                try collector.add(low, low | hostMask, code, file: file, line: line)
            }
        }
        guard let announced else {
            throw GeoFilterError(.invalidInput, "no version line: this is not a delegated statistics file", location: .init(path: reader.name))
        }
        if records < announced {
            throw GeoFilterError(
                .invalidInput, "the version line announces \(announced) records but the file has \(records): it is truncated",
                location: .init(path: reader.name))
        }
    }

    /// `2`, `2.3`: digits separated by dots.
    private static func isVersion(_ text: String) -> Bool {
        !text.isEmpty && text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { part in
            !part.isEmpty && part.allSatisfy(\.isASCII) && part.allSatisfy(\.isNumber)
        }
    }
}
