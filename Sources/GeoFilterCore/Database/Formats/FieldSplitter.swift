/// Splits a line into fields in place: `|`-separated (RIR), or RFC 4180 comma-separated with
/// optional double quotes (DB-IP, GeoLite2, Tor's legacy form).
enum FieldSplitter {
    /// Fills `fields` with the (start, end) of each field of `bytes[start..<end]`, without
    /// surrounding quotes. A doubled quote inside a quoted field stays doubled (no field GeoFilter
    /// reads can contain one).
    ///
    /// - Returns: false when a quoted field is not closed, or text follows its closing quote.
    @inline(__always)
    static func split(
        _ bytes: Span<UInt8>, _ start: Int, _ end: Int, separator: UInt8, quotes: Bool,
        into fields: inout [(start: Int, end: Int)], limit: Int = 64
    ) -> Bool {
        fields.removeAll(keepingCapacity: true)
        var index = start
        while true {
            if fields.count == limit { return false }
            if quotes && index < end && bytes[index] == UInt8(ascii: "\"") {
                var close = index + 1
                while true {
                    while close < end && bytes[close] != UInt8(ascii: "\"") { close += 1 }
                    if close >= end { return false }
                    if close + 1 < end && bytes[close + 1] == UInt8(ascii: "\"") {
                        close += 2
                        continue
                    }
                    break
                }
                fields.append((index + 1, close))
                index = close + 1
                if index == end { return true }
                if bytes[index] != separator { return false }
                index += 1
                continue
            }
            var stop = index
            while stop < end && bytes[stop] != separator { stop += 1 }
            fields.append((index, stop))
            if stop == end { return true }
            index = stop + 1
        }
    }

    /// The text of `bytes[start..<end]`.
    static func text(_ bytes: Span<UInt8>, _ start: Int, _ end: Int) -> String {
        String(decoding: bytes.extracting(start..<end).bytes, as: UTF8.self)
    }

    /// The text of `bytes[start..<end]` to quote in a message: control characters escaped,
    /// at most 200 characters.
    static func quoted(_ bytes: Span<UInt8>, _ start: Int, _ end: Int) -> String {
        text(bytes, start, end).escapedForMessage()
    }

    /// A decimal unsigned integer of 1 to 20 digits, or nil.
    @inline(__always)
    static func decimal<T: FixedWidthInteger & UnsignedInteger>(_ bytes: Span<UInt8>, _ start: Int, _ end: Int) -> T? {
        guard end > start, end - start <= 20 else { return nil }
        var value: T = 0
        for index in start..<end {
            let digit = bytes[index] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(T(digit))
            if overflow1 || overflow2 { return nil }
            value = sum
        }
        return value
    }

    /// Whether `bytes[start..<end]` contains `byte`.
    @inline(__always)
    static func contains(_ byte: UInt8, _ bytes: Span<UInt8>, _ start: Int, _ end: Int) -> Bool {
        var index = start
        while index < end {
            if bytes[index] == byte { return true }
            index += 1
        }
        return false
    }

    /// Whether `bytes[start..<end]` begins with `prefix`.
    static func hasPrefix(_ prefix: String, _ bytes: Span<UInt8>, _ start: Int, _ end: Int) -> Bool {
        let utf8 = Array(prefix.utf8)
        guard end - start >= utf8.count else { return false }
        for (offset, byte) in utf8.enumerated() where bytes[start + offset] != byte { return false }
        return true
    }
}
