internal import Foundation

/// ipdeny.com zone files: a directory of `cc.zone` or `cc-aggregated.zone` files (the country
/// code in the name, lower case), one CIDR per line, IPv4 and IPv6 alike; subdirectories one
/// level down (for example `ipv4/` and `ipv6/`) are read too. Files with other names are
/// ignored; host bits set in a CIDR are an error (lenient mode: a skip).
enum IPDenyFormat {
    static func read(directory: String, into collector: inout GeoRowCollector) throws(GeoFilterError) {
        let files = try zoneFiles(in: directory)
        guard !files.isEmpty else {
            throw GeoFilterError(.invalidInput, "no cc.zone or cc-aggregated.zone files here", location: .init(path: directory))
        }
        for (path, code) in files {
            try read(path: path, code: code, into: &collector)
        }
    }

    private static func read(path: String, code: RegionCode, into collector: inout GeoRowCollector) throws(GeoFilterError) {
        try read(InputFile(path: path, decompressedLimit: collector.options.maximumDecompressedBytes), code: code, into: &collector)
    }

    static func read(_ input: InputFile, code: RegionCode, into collector: inout GeoRowCollector) throws(GeoFilterError) {
        var reader = LineReader(input)
        let file = collector.beginFile(reader.name)
        try reader.forEachLine { bytes, start, end, line throws(GeoFilterError) in
            let first = trimStart(bytes, start, end)
            let last = trimEnd(bytes, first, end)
            if first == last || bytes[first] == UInt8(ascii: "#") { return }
            let entry: ListEntry?
            do throws(IPAddressParseError.Reason) {
                guard FieldSplitter.contains(UInt8(ascii: "/"), bytes, first, last),
                    !FieldSplitter.contains(UInt8(ascii: "-"), bytes, first, last)
                else { throw .invalidPrefixLength }
                entry = try ListEntry.parse(line: bytes, from: first, to: last, maskingHostBits: false)
            } catch {
                return try collector.malformed(
                    IPAddressParseError(error, text: FieldSplitter.quoted(bytes, first, last)).description
                        + (error == .invalidPrefixLength ? " (a zone file holds one CIDR per line)" : ""),
                    file: file, line: line, field: nil)
            }
            switch entry {
            case .ipv4(let low, let high): try collector.add(low, high, code, file: file, line: line)
            case .ipv6(let low, let high): try collector.add(low, high, code, file: file, line: line)
            case nil: break
            }
        }
    }

    /// The zone files of the directory and its subdirectories, sorted by path, with their codes.
    static func zoneFiles(in directory: String) throws(GeoFilterError) -> [(String, RegionCode)] {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw GeoFilterError(.file, "no such directory", location: .init(path: directory))
        }
        var result: [(String, RegionCode)] = []
        var folders = [directory]
        if let entries = try? manager.contentsOfDirectory(atPath: directory) {
            for entry in entries.sorted() {
                var sub: ObjCBool = false
                let path = directory + "/" + entry
                if manager.fileExists(atPath: path, isDirectory: &sub), sub.boolValue { folders.append(path) }
            }
        }
        for folder in folders {
            guard let entries = try? manager.contentsOfDirectory(atPath: folder) else { continue }
            for name in entries.sorted() {
                guard let code = zoneCode(name) else { continue }
                result.append((folder + "/" + name, code))
            }
        }
        return result
    }

    /// The code of a file named `cc.zone` or `cc-aggregated.zone` (lower case), or nil.
    static func zoneCode(_ name: String) -> RegionCode? {
        let stem: Substring
        if name.hasSuffix("-aggregated.zone") {
            stem = name.dropLast("-aggregated.zone".count)
        } else if name.hasSuffix(".zone") {
            stem = name.dropLast(".zone".count)
        } else {
            return nil
        }
        guard stem.utf8.count == 2, stem.utf8.allSatisfy({ $0 &- UInt8(ascii: "a") < 26 }) else { return nil }
        return RegionCode(dataCode: stem)
    }
}
