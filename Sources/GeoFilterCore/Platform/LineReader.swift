/// Reads a file line by line without copying lines: each line is handed to the
/// caller as a span over the reader's buffer with its start and end offsets.
///
/// Accepts LF and CRLF endings, a UTF-8 byte order mark at the start and a last line
/// without a newline. A line longer than ``maximumLineLength`` is an error, so hostile input
/// cannot make the reader grow without bound.
struct LineReader {
    /// The longest line accepted, in bytes.
    static var maximumLineLength: Int { 64 * 1024 }

    private let source: InputFile
    private var buffer: [UInt8]

    init(_ source: InputFile, chunkSize: Int? = nil) {
        self.source = source
        // Room for the longest line carried over plus one chunk read after it.
        let chunk = chunkSize ?? (source.isInMemory ? 1 << 14 : 1 << 20)
        self.buffer = [UInt8](repeating: 0, count: Self.maximumLineLength + Swift.max(chunk, 1 << 12))
    }

    /// The name of the source, for error messages.
    var name: String { source.name }

    /// Calls `body(bytes, start, end, lineNumber)` for every line, in order, without the
    /// line ending. Line numbers start at 1.
    mutating func forEachLine(
        _ body: (Span<UInt8>, Int, Int, Int) throws(GeoFilterError) -> Void
    ) throws(GeoFilterError) {
        var filled = 0  // bytes of `buffer` holding data
        var lineStart = 0  // start of the line being assembled
        var lineNumber = 0
        var atEnd = false
        var first = true
        while !atEnd {
            // Move the unfinished line to the front and fill the rest of the buffer.
            if lineStart > 0 {
                let carried = filled - lineStart
                if carried > 0 {
                    for index in 0..<carried { buffer[index] = buffer[lineStart + index] }
                }
                filled = carried
                lineStart = 0
            }
            let count = try source.read(into: &buffer, at: filled)
            atEnd = count == 0
            var scan = filled
            filled += count
            if first {
                // The byte order mark may arrive over several reads (a pipe): decide once
                // three bytes are there, or the content ends.
                let seen = Swift.min(filled, 3)
                let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
                if (0..<seen).allSatisfy({ buffer[$0] == bom[$0] }) {
                    if filled >= 3 {
                        lineStart = 3
                        scan = Swift.max(scan, 3)
                        first = false
                    } else if atEnd {
                        first = false
                    }
                } else {
                    first = false
                }
            }
            let bytes = buffer.span
            while scan < filled {
                if bytes[scan] == UInt8(ascii: "\n") {
                    lineNumber += 1
                    var end = scan
                    if end > lineStart && bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
                    try checkLength(end - lineStart, lineNumber + 0)
                    try body(bytes, lineStart, end, lineNumber)
                    lineStart = scan + 1
                }
                scan += 1
            }
            if atEnd && lineStart < filled {
                lineNumber += 1
                var end = filled
                if bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
                try checkLength(end - lineStart, lineNumber)
                try body(bytes, lineStart, end, lineNumber)
                lineStart = filled
            }
            try checkLength(filled - lineStart, lineNumber + 1)
        }
    }

    private func checkLength(_ length: Int, _ lineNumber: Int) throws(GeoFilterError) {
        guard length <= Self.maximumLineLength else {
            throw GeoFilterError(
                .limitExceeded,
                "the line is longer than \(Self.maximumLineLength) bytes; is this the right file?",
                location: .init(path: source.name, line: lineNumber))
        }
    }
}

extension String {
    /// The text with control characters (C0, DEL, C1; ESC and NUL among them) written as
    /// `\u{1B}` escapes and cut to `limit` characters, so text quoted from an input file in a
    /// message cannot drive the terminal that shows it.
    func escapedForMessage(limit: Int = 200) -> String {
        var result = ""
        var count = 0
        for scalar in unicodeScalars {
            if count == limit {
                result += "…"
                break
            }
            count += 1
            if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) {
                result += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}
