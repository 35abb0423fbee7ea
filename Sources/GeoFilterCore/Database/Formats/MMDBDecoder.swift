/// A value of the MaxMind DB data section (spec v2.0, "Output Data Section").
enum MMDBValue: Hashable, Sendable {
    case string(String)
    case double(Double)
    case bytes([UInt8])
    case uint16(UInt16)
    case uint32(UInt32)
    case map([String: MMDBValue])
    case int32(Int32)
    case uint64(UInt64)
    case uint128(UInt128)
    case array([MMDBValue])
    case boolean(Bool)
    case float(Float)

    /// The value under `key` of a map; nil for other kinds or a missing key.
    subscript(key: String) -> MMDBValue? {
        if case .map(let entries) = self { return entries[key] }
        return nil
    }

    /// The text of a string value.
    var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    /// Any unsigned or signed integer that fits `UInt64` (metadata fields are of several widths).
    var unsignedValue: UInt64? {
        switch self {
        case .uint16(let value): UInt64(value)
        case .uint32(let value): UInt64(value)
        case .uint64(let value): value
        case .uint128(let value): UInt64(exactly: value)
        case .int32(let value): UInt64(exactly: value)
        default: nil
        }
    }
}

/// Decodes the data fields of a MaxMind DB section (the data section or the metadata) from
/// a file's bytes, treating every byte as hostile.
///
/// Every size and offset is checked against the section before it is used, pointers must
/// land inside the section and never on another pointer, nesting (maps, arrays and pointers
/// followed) is limited to ``maximumDepth``, and a full decode to ``maximumValues`` values, so
/// a file of pointer cycles or of shared sub-maps that expand exponentially ends in an error,
/// never a hang or unbounded memory. Errors name the file and the byte offset.
struct MMDBDecoder {
    /// The whole file.
    let bytes: [UInt8]
    /// Where the section starts (pointers count from here) and ends (exclusive).
    let start: Int
    let end: Int
    /// The file's name for messages, and which section this is.
    let path: String
    let section: String
    /// When set, every field header read costs one unit of it, and running out is an error:
    /// the walk sets it so that records crafted to make the same large map be scanned again
    /// and again (through pointers) end in an error instead of quadratic work.
    var budget: WorkBudget?

    /// A count of work left, shared by the copies of a decoder.
    final class WorkBudget {
        var remaining: Int
        init(_ remaining: Int) { self.remaining = remaining }
    }

    /// The deepest nesting of maps, arrays and followed pointers accepted (libmaxminddb's).
    static let maximumDepth = 512
    /// The most values one ``decode(at:)`` produces.
    static let maximumValues = 1 << 20

    /// Field types (the control byte's top three bits, or 7 + the extended type byte).
    enum Kind: Int {
        case pointer = 1, string, double, bytes, uint16, uint32, map, int32, uint64, uint128, array, container, endMarker,
            boolean, float
    }

    /// A decoded control byte: the field's kind, its size (for maps and arrays the entry
    /// count, for booleans the value, for pointers the target offset in the section) and
    /// where its payload starts; `next` is the offset after the payload (for maps and arrays,
    /// after the control bytes only).
    struct Header {
        var kind: Kind
        var size: Int
        var payload: Int
        var next: Int
    }

    func error(_ offset: Int, _ message: String) -> GeoFilterError {
        GeoFilterError(.invalidInput, "corrupt MaxMind DB \(section) at byte \(offset): \(message)", location: .init(path: path))
    }

    @inline(__always)
    private func byte(_ offset: Int, for what: Int) throws(GeoFilterError) -> Int {
        guard offset >= start, offset < end else {
            throw error(what, "the field runs past the end of the \(section)")
        }
        return Int(bytes[offset])
    }

    /// Reads the control byte(s) at `offset`.
    @inline(__always)
    func header(at offset: Int) throws(GeoFilterError) -> Header {
        if let budget {
            budget.remaining -= 1
            guard budget.remaining >= 0 else {
                throw error(offset, "reading the records takes too much work (the same large maps are reached again and again)")
            }
        }
        let control = try byte(offset, for: offset)
        var position = offset + 1
        var type = control >> 5
        if type == 1 {
            let size = (control >> 3) & 3
            let high = control & 7
            let count = size + 1
            guard position + count <= end else { throw error(offset, "the pointer runs past the end of the \(section)") }
            var value = 0
            for index in 0..<count { value = value << 8 | Int(bytes[position + index]) }
            switch size {
            case 0: value |= high << 8
            case 1: value = (value | high << 16) + 2048
            case 2: value = (value | high << 24) + 526_336
            default: break
            }
            position += count
            guard value < end - start else {
                throw error(offset, "the pointer \(value) points outside the \(section) (\(end - start) bytes)")
            }
            return Header(kind: .pointer, size: value, payload: position, next: position)
        }
        if type == 0 {
            type = 7 + (try byte(position, for: offset))
            position += 1
            guard type >= 8, type <= 15 else { throw error(offset, "unknown extended type \(type)") }
        }
        guard let kind = Kind(rawValue: type), kind != .container, kind != .endMarker else {
            throw error(offset, "the field type \(type) is not allowed in a database")
        }
        var size = control & 0x1F
        if size >= 29 {
            let extra = size - 28
            guard position + extra <= end else { throw error(offset, "the size runs past the end of the \(section)") }
            var value = 0
            for index in 0..<extra { value = value << 8 | Int(bytes[position + index]) }
            size = (extra == 1 ? 29 : extra == 2 ? 285 : 65_821) + value
            position += extra
        }
        let payloadBytes: Int
        switch kind {
        case .map, .array:
            // Each entry takes at least one byte (two for a map): a count that cannot fit is refused
            // before anything is allocated for it.
            guard size <= (end - position) / (kind == .map ? 2 : 1) else {
                throw error(offset, "the \(kind == .map ? "map" : "array") claims \(size) entries, more than the \(section) can hold")
            }
            payloadBytes = 0
        case .boolean:
            guard size <= 1 else { throw error(offset, "a boolean of size \(size)") }
            payloadBytes = 0
        case .double: guard size == 8 else { throw error(offset, "a double of \(size) bytes (must be 8)") }; payloadBytes = 8
        case .float: guard size == 4 else { throw error(offset, "a float of \(size) bytes (must be 4)") }; payloadBytes = 4
        case .uint16: guard size <= 2 else { throw error(offset, "a uint16 of \(size) bytes") }; payloadBytes = size
        case .uint32, .int32: guard size <= 4 else { throw error(offset, "a 32-bit integer of \(size) bytes") }; payloadBytes = size
        case .uint64: guard size <= 8 else { throw error(offset, "a uint64 of \(size) bytes") }; payloadBytes = size
        case .uint128: guard size <= 16 else { throw error(offset, "a uint128 of \(size) bytes") }; payloadBytes = size
        default: payloadBytes = size
        }
        guard payloadBytes <= end - position else {
            throw error(offset, "the field's \(payloadBytes) bytes run past the end of the \(section)")
        }
        return Header(kind: kind, size: size, payload: position, next: position + payloadBytes)
    }

    /// The header of the field at `offset`, following a pointer there (to a field that is not a
    /// pointer). Also returns the offset after the field as its container sees it (after the
    /// pointer, when there was one).
    @inline(__always)
    func resolvedHeader(at offset: Int) throws(GeoFilterError) -> (header: Header, after: Int) {
        let first = try header(at: offset)
        guard first.kind == .pointer else { return (first, first.next) }
        let target = try header(at: start + first.size)
        guard target.kind != .pointer else { throw error(offset, "a pointer points to another pointer") }
        return (target, first.next)
    }

    /// The offset of the field a pointer at `offset` points to; `offset` itself for other fields.
    func resolved(_ offset: Int) throws(GeoFilterError) -> Int {
        let first = try header(at: offset)
        return first.kind == .pointer ? start + first.size : offset
    }

    /// The offset after the field at `offset`, without following pointers (linear in the
    /// field's own bytes).
    func skip(at offset: Int, depth: Int = 0) throws(GeoFilterError) -> Int {
        guard depth < Self.maximumDepth else { throw error(offset, "data nested deeper than \(Self.maximumDepth) levels") }
        let field = try header(at: offset)
        switch field.kind {
        case .map:
            var position = field.next
            for _ in 0..<(field.size * 2) { position = try skip(at: position, depth: depth + 1) }
            return position
        case .array:
            var position = field.next
            for _ in 0..<field.size { position = try skip(at: position, depth: depth + 1) }
            return position
        default:
            return field.next
        }
    }

    /// The offset of the value under `key` in the map at `offset` (after following a pointer
    /// to the map); nil when the field is not a map or lacks the key.
    func find(_ key: [UInt8], inMapAt offset: Int) throws(GeoFilterError) -> Int? {
        let (map, _) = try resolvedHeader(at: offset)
        guard map.kind == .map else { return nil }
        var position = map.next
        for _ in 0..<map.size {
            let (name, after) = try resolvedHeader(at: position)
            guard name.kind == .string else { throw error(position, "a map key is not a string") }
            if name.size == key.count, bytes[name.payload..<name.next].elementsEqual(key) { return after }
            position = try skip(at: after)
        }
        return nil
    }

    /// The bytes of the string at `offset` (after following a pointer); nil for other kinds.
    func stringBytes(at offset: Int) throws(GeoFilterError) -> ArraySlice<UInt8>? {
        let (field, _) = try resolvedHeader(at: offset)
        guard field.kind == .string else { return nil }
        return bytes[field.payload..<field.next]
    }

    /// Decodes the whole value at `offset`.
    ///
    /// - Returns: the value and the offset after it (after the pointer, when it was one).
    func decode(at offset: Int) throws(GeoFilterError) -> (value: MMDBValue, next: Int) {
        var budget = Self.maximumValues
        return try decode(at: offset, depth: 0, budget: &budget)
    }

    private func decode(at offset: Int, depth: Int, budget: inout Int) throws(GeoFilterError) -> (value: MMDBValue, next: Int) {
        guard depth < Self.maximumDepth else {
            throw error(offset, "data nested deeper than \(Self.maximumDepth) levels (or a pointer cycle)")
        }
        budget -= 1
        guard budget >= 0 else {
            throw error(offset, "one record expands to more than \(Self.maximumValues) values (pointers to shared maps)")
        }
        let first = try header(at: offset)
        if first.kind == .pointer {
            let target = start + first.size
            let (value, _) = try decode(at: target, depth: depth + 1, budget: &budget)
            return (value, first.next)
        }
        let field = first
        let payload = bytes[field.payload..<field.next]
        func unsigned<T: FixedWidthInteger>(_: T.Type) -> T {
            var value: T = 0
            for byte in payload { value = value << 8 | T(byte) }
            return value
        }
        switch field.kind {
        case .pointer, .container, .endMarker:
            throw error(offset, "unexpected field")
        case .string:
            guard let text = String(validating: payload, as: UTF8.self) else { throw error(offset, "a string is not valid UTF-8") }
            return (.string(text), field.next)
        case .double: return (.double(Double(bitPattern: unsigned(UInt64.self))), field.next)
        case .float: return (.float(Float(bitPattern: unsigned(UInt32.self))), field.next)
        case .bytes: return (.bytes(Array(payload)), field.next)
        case .uint16: return (.uint16(unsigned(UInt16.self)), field.next)
        case .uint32: return (.uint32(unsigned(UInt32.self)), field.next)
        case .uint64: return (.uint64(unsigned(UInt64.self)), field.next)
        case .uint128: return (.uint128(unsigned(UInt128.self)), field.next)
        case .int32:
            // Fewer than 4 bytes are a positive number; 4 bytes are two's complement.
            return (.int32(Int32(bitPattern: unsigned(UInt32.self))), field.next)
        case .boolean: return (.boolean(field.size == 1), field.next)
        case .array:
            var values: [MMDBValue] = []
            values.reserveCapacity(Swift.min(field.size, 1024))
            var position = field.next
            for _ in 0..<field.size {
                let (value, next) = try decode(at: position, depth: depth + 1, budget: &budget)
                values.append(value)
                position = next
            }
            return (.array(values), position)
        case .map:
            var entries: [String: MMDBValue] = [:]
            var position = field.next
            for _ in 0..<field.size {
                let (key, afterKey) = try decode(at: position, depth: depth + 1, budget: &budget)
                guard case .string(let name) = key else { throw error(position, "a map key is not a string") }
                let (value, next) = try decode(at: afterKey, depth: depth + 1, budget: &budget)
                entries[name] = value
                position = next
            }
            return (.map(entries), position)
        }
    }
}
