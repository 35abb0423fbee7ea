/// DNS messages (RFC 1035): the query ``DNSResolver`` sends, and the answer read as hostile
/// input, the way `SwiftASN1` reads DER: a bounded cursor over the bytes, every length checked
/// before it is used, compression pointers only backwards (so they cannot loop) and at most
/// ``maximumJumps`` of them per name, names at most 255 octets, and only the records of the
/// question asked are kept.
enum DNSMessage {
    /// Record types used.
    enum RecordType: UInt16, Sendable {
        case a = 1
        case cname = 5
        case aaaa = 28
        case srv = 33
        case opt = 41
    }

    /// The response codes told apart.
    enum ResponseCode: Sendable, Hashable, CustomStringConvertible {
        case noError
        case nameError
        case other(UInt8)

        init(_ value: UInt8) {
            switch value {
            case 0: self = .noError
            case 3: self = .nameError
            default: self = .other(value)
            }
        }

        var description: String {
            switch self {
            case .noError: "NOERROR"
            case .nameError: "NXDOMAIN"
            case .other(1): "FORMERR"
            case .other(2): "SERVFAIL"
            case .other(4): "NOTIMP"
            case .other(5): "REFUSED"
            case .other(let code): "response code \(code)"
            }
        }
    }

    /// The largest UDP answer announced with EDNS(0) (the DNS flag day 2020 value).
    static let udpPayloadSize: UInt16 = 1232
    /// Compression pointers followed per name at most.
    static let maximumJumps = 32
    /// Records read from one answer at most (a real answer for a host has a handful).
    static let maximumRecords = 256

    /// A query for `name` (lower-case labels) of `type`, recursion desired, with an EDNS(0)
    /// OPT record announcing ``udpPayloadSize``.
    static func query(id: UInt16, name: [String], type: RecordType) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(64)
        func append16(_ value: UInt16) { bytes += [UInt8(value >> 8), UInt8(value & 0xFF)] }
        append16(id)
        append16(0x0100)  // RD
        append16(1)  // QDCOUNT
        append16(0)
        append16(0)
        append16(1)  // ARCOUNT: the OPT record
        bytes += encodedName(name)
        append16(type.rawValue)
        append16(1)  // IN
        bytes.append(0)  // OPT: root owner
        append16(RecordType.opt.rawValue)
        append16(udpPayloadSize)
        bytes += [0, 0, 0, 0, 0, 0]  // extended RCODE, version, flags, RDLENGTH 0
        return bytes
    }

    static func encodedName(_ labels: [String]) -> [UInt8] {
        var bytes: [UInt8] = []
        for label in labels {
            bytes.append(UInt8(label.utf8.count))
            bytes += label.utf8
        }
        bytes.append(0)
        return bytes
    }

    /// One resource record of the answer section.
    struct Record: Sendable, Hashable {
        enum Data: Sendable, Hashable {
            case a(IPv4Address)
            case aaaa(IPv6Address)
            case cname([String])
            case srv(priority: UInt16, weight: UInt16, port: UInt16, target: [String])
            case other
        }
        /// Lower-case labels.
        var owner: [String]
        var type: UInt16
        var ttl: UInt32
        var data: Data
    }

    /// A response that passed the checks.
    struct Response: Sendable {
        var code: ResponseCode
        /// The TC bit: the answer did not fit (retry over TCP).
        var truncated: Bool
        /// The answer section's records of class IN.
        var answers: [Record]
    }

    /// Why a response was refused.
    struct Malformed: Error, Sendable, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// Reads a response to the query `id` for `name` and `type`.
    ///
    /// - Throws: ``Malformed`` for a message that is not such a response: too short, another
    ///   ID, not a response, another question, a length or count past the end, a bad or looping
    ///   compression pointer, a name or label too long, an A or AAAA record of the wrong size,
    ///   bytes left over.
    static func parse(_ bytes: [UInt8], id: UInt16, name: [String], type: RecordType) throws(Malformed) -> Response {
        var reader = Reader(bytes: bytes)
        guard bytes.count >= 12 else { throw Malformed("the answer has \(bytes.count) bytes, less than a DNS header") }
        let answerID = try reader.read16("the header")
        guard answerID == id else { throw Malformed("the answer's ID \(answerID) is not the query's \(id)") }
        let flags = try reader.read16("the header")
        guard flags & 0x8000 != 0 else { throw Malformed("the message is a query, not an answer") }
        guard (flags >> 11) & 0xF == 0 else { throw Malformed("the answer has opcode \((flags >> 11) & 0xF), not a standard query's") }
        let questions = try reader.read16("the header")
        let answerCount = Int(try reader.read16("the header"))
        let authorityCount = Int(try reader.read16("the header"))
        let additionalCount = Int(try reader.read16("the header"))
        let truncated = flags & 0x0200 != 0
        guard questions == 1 else { throw Malformed("the answer has \(questions) questions, not the one asked") }
        let questionName = try reader.readName()
        let questionType = try reader.read16("the question")
        let questionClass = try reader.read16("the question")
        guard questionName == name, questionType == type.rawValue, questionClass == 1 else {
            throw Malformed("the answer is for another question (\(questionName.joined(separator: ".")) type \(questionType)), not \(name.joined(separator: ".")) type \(type.rawValue)")
        }
        let code = ResponseCode(UInt8(flags & 0xF))
        guard answerCount + authorityCount + additionalCount <= maximumRecords else {
            throw Malformed("the answer claims \(answerCount + authorityCount + additionalCount) records; at most \(maximumRecords) are read")
        }
        var answers: [Record] = []
        for index in 0..<(answerCount + authorityCount + additionalCount) {
            // A truncated answer may end early; the records present are not used anyway.
            if truncated && reader.atEnd { break }
            let record = try reader.readRecord()
            if index < answerCount, let record { answers.append(record) }
        }
        if !truncated && !reader.atEnd {
            throw Malformed("\(bytes.count - reader.offset) bytes follow the last record")
        }
        return Response(code: code, truncated: truncated, answers: answers)
    }

    /// A cursor over a message; every read checks the bounds.
    private struct Reader {
        let bytes: [UInt8]
        var offset = 0

        var atEnd: Bool { offset == bytes.count }

        mutating func read8(_ what: String) throws(Malformed) -> UInt8 {
            guard offset < bytes.count else { throw Malformed("the answer ends inside \(what)") }
            defer { offset += 1 }
            return bytes[offset]
        }

        mutating func read16(_ what: String) throws(Malformed) -> UInt16 {
            guard bytes.count - offset >= 2 else { throw Malformed("the answer ends inside \(what)") }
            defer { offset += 2 }
            return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
        }

        mutating func read32(_ what: String) throws(Malformed) -> UInt32 {
            let high = try read16(what)
            return UInt32(high) << 16 | UInt32(try read16(what))
        }

        /// A name at the cursor, following compression pointers; the cursor moves past the
        /// name's bytes at the cursor (a pointer's two bytes, not its target).
        mutating func readName() throws(Malformed) -> [String] {
            let (labels, end) = try Self.name(in: bytes, at: offset)
            offset = end
            return labels
        }

        /// The labels of the name at `start` (lower-cased ASCII) and the offset after it.
        static func name(in bytes: [UInt8], at start: Int) throws(Malformed) -> ([String], Int) {
            var labels: [String] = []
            var position = start
            var end: Int?
            var jumps = 0
            var wireLength = 1
            while true {
                guard position < bytes.count else { throw Malformed("the answer ends inside a name") }
                let length = bytes[position]
                switch length & 0xC0 {
                case 0xC0:
                    guard position + 1 < bytes.count else { throw Malformed("the answer ends inside a compression pointer") }
                    let target = Int(length & 0x3F) << 8 | Int(bytes[position + 1])
                    // Only backwards, to a name seen before: a pointer can then never loop.
                    guard target < position else {
                        throw Malformed("a compression pointer at byte \(position) points forward or at itself (to \(target)): a loop")
                    }
                    jumps += 1
                    guard jumps <= maximumJumps else { throw Malformed("a name follows more than \(maximumJumps) compression pointers") }
                    if end == nil { end = position + 2 }
                    position = target
                case 0:
                    if length == 0 {
                        return (labels, end ?? position + 1)
                    }
                    let count = Int(length)
                    guard position + 1 + count <= bytes.count else { throw Malformed("the answer ends inside a label") }
                    wireLength += count + 1
                    guard wireLength <= 255 else { throw Malformed("a name is longer than 255 bytes") }
                    let label = bytes[(position + 1)..<(position + 1 + count)].map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 32 : $0 }
                    labels.append(String(decoding: label, as: UTF8.self))
                    position += 1 + count
                default:
                    throw Malformed("a label has the reserved type bits 0x\(String(length & 0xC0, radix: 16))")
                }
            }
        }

        /// A resource record; nil for a record of another class (kept out of the answer).
        mutating func readRecord() throws(Malformed) -> Record? {
            let owner = try readName()
            let type = try read16("a record")
            let recordClass = try read16("a record")
            let ttl = try read32("a record")
            let length = Int(try read16("a record"))
            guard bytes.count - offset >= length else {
                throw Malformed("a record's data length \(length) runs past the end of the answer")
            }
            let dataStart = offset
            let dataEnd = offset + length
            defer { offset = dataEnd }
            // TTLs above 2^31 - 1 are read as 0 (RFC 2181 section 8).
            let ttlValue = ttl > 0x7FFF_FFFF ? 0 : ttl
            let data: Record.Data
            switch RecordType(rawValue: type) {
            case .a:
                guard length == 4 else { throw Malformed("an A record has \(length) bytes of data, not 4") }
                data = .a(IPv4Address(bytes[dataStart], bytes[dataStart + 1], bytes[dataStart + 2], bytes[dataStart + 3]))
            case .aaaa:
                guard length == 16 else { throw Malformed("an AAAA record has \(length) bytes of data, not 16") }
                var value: UInt128 = 0
                for byte in bytes[dataStart..<dataEnd] { value = value << 8 | UInt128(byte) }
                data = .aaaa(IPv6Address(value))
            case .cname:
                let (target, end) = try Self.name(in: bytes, at: dataStart)
                guard end == dataEnd else { throw Malformed("a CNAME record's name does not fill its data") }
                data = .cname(target)
            case .srv:
                guard length >= 7 else { throw Malformed("an SRV record has \(length) bytes of data, too few") }
                var inner = Reader(bytes: bytes, offset: dataStart)
                let priority = try inner.read16("an SRV record")
                let weight = try inner.read16("an SRV record")
                let port = try inner.read16("an SRV record")
                let target = try inner.readName()
                guard inner.offset == dataEnd else { throw Malformed("an SRV record's target does not fill its data") }
                data = .srv(priority: priority, weight: weight, port: port, target: target)
            default:
                data = .other
            }
            guard recordClass == 1 else { return nil }
            return Record(owner: owner, type: type, ttl: ttlValue, data: data)
        }
    }
}
