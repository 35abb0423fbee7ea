/// Appends little-endian integers, LEB128 varints and length-prefixed strings to a buffer.
struct ByteWriter {
    var bytes: [UInt8] = []

    mutating func integer<T: FixedWidthInteger>(_ value: T) {
        for index in 0..<(T.bitWidth / 8) { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * index))) }
    }

    mutating func varint<T: FixedWidthInteger & UnsignedInteger>(_ value: T) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(truncatingIfNeeded: rest))
    }

    mutating func string(_ text: String) {
        let utf8 = Array(text.utf8.prefix(Int(UInt16.max)))
        integer(UInt16(utf8.count))
        bytes.append(contentsOf: utf8)
    }
}

/// Reads what ``ByteWriter`` wrote, checking every length against the buffer: a short or
/// malformed buffer throws instead of reading past the end.
struct ByteReader {
    let bytes: [UInt8]
    private(set) var offset: Int
    /// What the buffer is, for messages ("the snapshot").
    let what: String

    init(_ bytes: [UInt8], offset: Int = 0, what: String) {
        self.bytes = bytes
        self.offset = offset
        self.what = what
    }

    var isAtEnd: Bool { offset == bytes.count }

    /// The bytes left to read.
    var remaining: Int { Swift.max(0, bytes.count - offset) }

    private func truncated() -> GeoFilterError {
        GeoFilterError(.invalidInput, "\(what) is truncated (it ends at byte \(bytes.count))")
    }

    mutating func integer<T: FixedWidthInteger>(_: T.Type) throws(GeoFilterError) -> T {
        let size = T.bitWidth / 8
        guard bytes.count - offset >= size else { throw truncated() }
        var value: T = 0
        for index in 0..<size { value |= T(truncatingIfNeeded: bytes[offset + index]) << (8 * index) }
        offset += size
        return value
    }

    @inline(__always)
    mutating func varint<T: FixedWidthInteger & UnsignedInteger>(_: T.Type) throws(GeoFilterError) -> T {
        var value: T = 0
        var shift = 0
        while true {
            guard offset < bytes.count else { throw truncated() }
            let byte = bytes[offset]
            offset += 1
            guard shift < T.bitWidth, shift + (8 - (byte & 0x7F).leadingZeroBitCount) - 1 <= T.bitWidth else {
                throw GeoFilterError(.invalidInput, "\(what) is corrupt (a number is too large at byte \(offset))")
            }
            value |= T(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
    }

    mutating func string() throws(GeoFilterError) -> String {
        let length = Int(try integer(UInt16.self))
        guard bytes.count - offset >= length else { throw truncated() }
        defer { offset += length }
        return String(decoding: bytes[offset..<offset + length], as: UTF8.self)
    }

    mutating func rest() -> [UInt8] {
        defer { offset = bytes.count }
        return Array(bytes[offset...])
    }
}
