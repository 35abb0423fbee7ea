/// Reads address lists: one network (`a/len`), range (`a-b`) or single address per line, of
/// either family, with `#` comments (whole-line or trailing) and blank lines.
///
/// This is the input of `geofilter-demo aggregate`, and the format `iprange` reads.
package enum CIDRListReader {
    /// Reads every file (`-` is standard input) into one set.
    ///
    /// - Parameters:
    ///   - paths: the files to read, in order; `-` reads standard input.
    ///   - maskingHostBits: clear bits past a network's prefix length instead of failing.
    /// - Throws: ``GeoFilterError`` naming the file and line of the first entry that is not
    ///   valid, or the file that cannot be read.
    /// - Complexity: O(n log n) for n entries; memory proportional to the result.
    package static func read(paths: [String], maskingHostBits: Bool = false) throws(GeoFilterError) -> CIDRSet {
        var builder = CIDRSet.Builder()
        for path in paths {
            try read(path: path, into: &builder, maskingHostBits: maskingHostBits)
        }
        return builder.build()
    }

    /// Reads one file (`-` is standard input) into `builder`.
    static func read(
        path: String, into builder: inout CIDRSet.Builder, maskingHostBits: Bool
    ) throws(GeoFilterError) {
        var reader = LineReader(try InputFile(path: path))
        let name = reader.name
        try reader.forEachLine { bytes, start, end, line throws(GeoFilterError) in
            do throws(IPAddressParseError.Reason) {
                _ = try builder.insert(line: bytes, from: start, to: end, maskingHostBits: maskingHostBits)
            } catch {
                let text = entryText(bytes, start, end).escapedForMessage()
                let parseError = IPAddressParseError(error, text: text)
                throw GeoFilterError(
                    .invalidInput, parseError.description, location: .init(path: name, line: line),
                    underlying: parseError)
            }
        }
    }
}

/// The entry of a line as text, without its comment and surrounding blanks, for messages.
private func entryText(_ bytes: Span<UInt8>, _ start: Int, _ end: Int) -> String {
    var stop = start
    while stop < end && bytes[stop] != UInt8(ascii: "#") { stop += 1 }
    let first = trimStart(bytes, start, stop)
    let last = trimEnd(bytes, first, stop)
    return String(decoding: bytes.extracting(first..<last).bytes, as: UTF8.self)
}

extension Span where Element == UInt8 {
    /// The bytes of the span as an array.
    var bytes: [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(count)
        for index in indices { result.append(self[index]) }
        return result
    }
}
