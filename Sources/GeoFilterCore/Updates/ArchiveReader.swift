/// Reads the members of the archives data sources publish: ipdeny's `.tar.gz` zone bundles and
/// MaxMind's `.zip` CSV editions. Archives are treated as hostile: only regular files are
/// returned, under their base names (no paths), and sizes are bounded.
enum ArchiveReader {
    /// One regular file of an archive: its base name and contents.
    struct Member {
        var name: String
        var bytes: [UInt8]
    }

    /// The regular files of a tar archive (ustar or GNU; other entries are skipped) whose base
    /// names satisfy `accept`.
    static func tarMembers(_ bytes: [UInt8], accept: (String) -> Bool) throws(GeoFilterError) -> [Member] {
        var members: [Member] = []
        var offset = 0
        while offset + 512 <= bytes.count {
            let header = bytes[offset..<offset + 512]
            if header.allSatisfy({ $0 == 0 }) { return members }  // end-of-archive blocks
            let name = text(header, 0, 100)
            let prefix = text(header, 345, 155)
            guard let size = Int(text(header, 124, 12).trimmingSpaces, radix: 8), size >= 0 else {
                throw GeoFilterError(.invalidInput, "the tar archive is corrupt (a size field at byte \(offset + 124) is not octal)")
            }
            let type = header[header.startIndex + 156]
            let start = offset + 512
            guard start + size <= bytes.count else {
                throw GeoFilterError(.invalidInput, "the tar archive is truncated (member '\(name)' needs \(size) bytes)")
            }
            let path = magic(header) && !prefix.isEmpty ? prefix + "/" + name : name
            let base = path.split(separator: "/").last.map(String.init) ?? ""
            if type == UInt8(ascii: "0") || type == 0, accept(base) {
                members.append(Member(name: base, bytes: Array(bytes[start..<start + size])))
            }
            offset = start + (size + 511) / 512 * 512
        }
        throw GeoFilterError(.invalidInput, "the tar archive is truncated (no end-of-archive blocks)")
    }

    /// The files of a zip archive (stored or deflated) whose base names satisfy `accept`, each
    /// with its directory path (for the dated folder name of MaxMind's editions).
    static func zipMembers(
        _ bytes: [UInt8], limit: Int, accept: (String) -> Bool
    ) throws(GeoFilterError) -> [(member: Member, path: String)] {
        func corrupt(_ what: String) -> GeoFilterError { GeoFilterError(.invalidInput, "the zip archive is corrupt (\(what))") }
        func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        func u32(_ at: Int) -> Int { u16(at) | u16(at + 2) << 16 }
        // The end-of-central-directory record is in the last 65,557 bytes.
        guard bytes.count >= 22 else { throw corrupt("too short") }
        var end = -1
        for position in stride(from: bytes.count - 22, through: max(0, bytes.count - 65_557), by: -1)
        where bytes[position] == 0x50 && bytes[position + 1] == 0x4B && bytes[position + 2] == 5 && bytes[position + 3] == 6 {
            end = position
            break
        }
        guard end >= 0 else { throw corrupt("no end-of-central-directory record") }
        let count = u16(end + 10)
        var entry = u32(end + 16)
        var members: [(member: Member, path: String)] = []
        var total = 0
        for _ in 0..<count {
            guard entry + 46 <= bytes.count, u32(entry) == 0x0201_4B50 else { throw corrupt("a central directory entry") }
            let method = u16(entry + 10)
            let compressed = u32(entry + 20)
            let size = u32(entry + 24)
            let nameLength = u16(entry + 28)
            let local = u32(entry + 42)
            guard entry + 46 + nameLength <= bytes.count else { throw corrupt("a file name") }
            let path = String(decoding: bytes[entry + 46..<entry + 46 + nameLength], as: UTF8.self)
            entry += 46 + nameLength + u16(entry + 30) + u16(entry + 32)
            let base = path.split(separator: "/").last.map(String.init) ?? ""
            guard !path.hasSuffix("/"), accept(base) else { continue }
            guard local + 30 <= bytes.count, u32(local) == 0x0403_4B50 else { throw corrupt("the local header of \(path)") }
            let start = local + 30 + u16(local + 26) + u16(local + 28)
            guard start + compressed <= bytes.count else { throw corrupt("\(path) is truncated") }
            total += size
            guard total <= limit else { throw GeoFilterError(.limitExceeded, "the zip archive expands to more than \(limit) bytes") }
            let data = Array(bytes[start..<start + compressed])
            let contents: [UInt8]
            switch method {
            case 0: contents = data
            case 8: contents = try Inflater.inflateAll(data, expectedLength: size, format: .rawDeflate)
            default: throw GeoFilterError(.unsupported, "\(path) in the zip archive uses compression method \(method)")
            }
            guard contents.count == size else { throw corrupt("\(path) has the wrong length") }
            let directory = path.split(separator: "/").dropLast().last.map(String.init) ?? ""
            members.append((Member(name: base, bytes: contents), directory))
        }
        return members
    }

    private static func text(_ header: ArraySlice<UInt8>, _ offset: Int, _ length: Int) -> String {
        let field = header[header.startIndex + offset..<header.startIndex + offset + length]
        return String(decoding: field.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// Whether the header is ustar (which has the prefix field).
    private static func magic(_ header: ArraySlice<UInt8>) -> Bool { text(header, 257, 5) == "ustar" }
}
