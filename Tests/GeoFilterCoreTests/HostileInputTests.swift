import Foundation
import Testing

@_spi(Fuzzing) @testable import GeoFilterCore

#if canImport(Glibc)
import Glibc
#endif

/// A new empty temporary folder.
private func temporaryFolder() throws -> String {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("geofilter-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    return folder
}

/// A sparse file of `size` bytes (as `truncate -s`), starting with `head`.
private func sparseFile(in folder: String, size: Int, head: [UInt8] = []) throws -> String {
    let path = folder + "/sparse.bin"
    #expect(FileManager.default.createFile(atPath: path, contents: Data(head)))
    let handle = try #require(FileHandle(forWritingAtPath: path))
    try handle.truncate(atOffset: UInt64(size))
    try handle.close()
    return path
}

/// A FIFO named `name` in `folder` (nobody writes to it: opening it to read would block).
private func fifo(in folder: String, name: String = "fifo") throws -> String {
    let path = folder + "/" + name
    try #require(mkfifo(path, 0o600) == 0)
    return path
}

/// The error a load throws, or nil.
private func loadError(_ source: DataSource) -> GeoFilterError? {
    do {
        _ = try GeoDatabase.load(source)
        return nil
    } catch {
        return error
    }
}

@Suite("GeoDatabase: hostile input ends at once with a clear error")
struct GeoDatabaseHostileInputTests {
    @Test("A 2 GB sparse file as a snapshot is refused by its magic, before it is read")
    func sparseSnapshot() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = try sparseFile(in: folder, size: 2 << 30)
        let error = try #require(loadError(.snapshot(path: path)))
        #expect(error.code == .invalidInput)
        #expect(error.message.contains("wrong magic"), "\(error)")
    }

    @Test("A 2 GB sparse file with the snapshot magic is refused by its size, before it is read")
    func sparseSnapshotWithMagic() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = try sparseFile(in: folder, size: 2 << 30, head: GeoSnapshot.magic)
        let error = try #require(loadError(.snapshot(path: path)))
        #expect(error.code == .limitExceeded)
        #expect(error.message.contains("\(2 << 30) bytes"), "\(error)")
    }

    @Test("Devices are not regular files", arguments: ["/dev/zero", "/dev/urandom", "/dev/null"])
    func devices(path: String) throws {
        for source: DataSource in [.snapshot(path: path), .dbipCSV(path: path), .ipfire(ipv4: path, ipv6: nil), .rir(paths: [path])] {
            let error = try #require(loadError(source), "\(source)")
            #expect(error.code == .file)
            #expect(error.description.contains("\(path): is not a regular file (a character device)"), "\(error)")
        }
    }

    @Test("A FIFO given as a data file is refused without waiting for a writer")
    func fifos() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = try fifo(in: folder)
        let sources: [DataSource] = [
            .snapshot(path: path), .dbipCSV(path: path), .ipfire(ipv4: path, ipv6: nil), .rir(paths: [path]),
        ]
        for source in sources {
            let error = try #require(loadError(source), "\(source)")
            #expect(error.code == .file)
            #expect(error.message.contains("is not a regular file (a FIFO or pipe)"), "\(error)")
        }
        #expect(throws: GeoFilterError.self) { try CIDRListReader.read(paths: [path]) }
    }

    @Test("A FIFO inside a GeoLite2 or ipdeny directory is refused")
    func fifosInDirectories() throws {
        let geolite = try temporaryFolder()
        let ipdeny = try temporaryFolder()
        defer {
            try? FileManager.default.removeItem(atPath: geolite)
            try? FileManager.default.removeItem(atPath: ipdeny)
        }
        _ = try fifo(in: geolite, name: "GeoLite2-Country-Locations-en.csv")
        _ = try fifo(in: geolite, name: "GeoLite2-Country-Blocks-IPv4.csv")
        _ = try fifo(in: geolite, name: "GeoLite2-Country-Blocks-IPv6.csv")
        _ = try fifo(in: ipdeny, name: "de.zone")
        for source: DataSource in [.geoLite2CSV(directory: geolite, country: .located), .ipdeny(directory: ipdeny)] {
            let error = try #require(loadError(source), "\(source)")
            #expect(error.code == .file)
            #expect(error.message.contains("is not a regular file"), "\(error)")
        }
    }

    @Test("A directory given as a file is refused")
    func directoryAsFile() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let error = try #require(loadError(.dbipCSV(path: folder)))
        #expect(error.message.contains("is not a regular file (a directory)"), "\(error)")
    }

    @Test("Control characters quoted from a malformed row are escaped in the message")
    func controlCharactersEscaped() throws {
        // An ESC sequence (would turn a terminal red) and a NUL inside the row's fields.
        let row = "1.0.0.0,1.0.0.\u{1B}[31m255,AU\n2.0.0.0,2.0.0.255,A\u{0}\n"
        let path = try TestPaths.temporaryFile(row, name: "dbip.csv")
        let error = try #require(loadError(.dbipCSV(path: path)))
        #expect(error.message.contains(#"'1.0.0.\u{1B}[31m255' is not an IP address"#), "\(error)")
        #expect(!error.description.unicodeScalars.contains { $0.value < 0x20 })
        let lenient = try GeoDatabase.load(.dbipCSV(path: path), options: .lenient)
        let messages = lenient.report.skippedExamples.map(\.description)
        #expect(messages.count == 2)
        #expect(messages.last?.contains(#"'A\u{0}' is not a two-letter country code"#) == true, "\(messages)")
        for message in messages { #expect(!message.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }) }
    }

    @Test("Control characters are escaped by every format's messages")
    func controlCharactersEveryFormat() throws {
        let cases: [(GeoDatabase.InMemorySource, String)] = [
            (.rir([Array("2|ripencc|1|1|19830705|20130418|+0200\nripencc|D\u{1B}|ipv4|2.16.0.0|524288|20100712|allocated\n".utf8)]), #"'D\u{1B}'"#),
            (.ipfire(ipv4: Array("16777216,1677\u{7}7471,AU\n".utf8), ipv6: nil), #"'1677\u{7}7471'"#),
            (.ipdeny([.init(name: "de.zone", bytes: Array("10.0.0.0/8\u{9B}\n".utf8))]), #"\u{9B}"#),
            (.geoLite2CSV(locations: Array("geoname_id,country_iso_code\n1\u{0},DE\n".utf8), blocks4: [], blocks6: [], country: .located), #"'1\u{0}'"#),
        ]
        for (source, escaped) in cases {
            do {
                _ = try GeoDatabase.load(source)
                Issue.record("\(source) loaded")
            } catch {
                #expect(error.message.contains(escaped), "\(error)")
                #expect(!error.description.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) })
            }
        }
    }

    @Test("Text quoted in messages is escaped and cut")
    func escapedForMessage() {
        #expect("a\u{1B}b\u{0}c\u{7F}\u{85}é".escapedForMessage() == #"a\u{1B}b\u{0}c\u{7F}\u{85}é"#)
        #expect(String(repeating: "x", count: 300).escapedForMessage().count == 201)
    }
}

@Suite("GeoDatabase: in-memory reading and regressions found by fuzzing")
struct GeoDatabaseFuzzRegressionTests {
    @Test("In-memory content reads as the files do, in one read or one byte at a time")
    func inMemoryMatchesFiles() throws {
        let dbip = try GeoDatabase.load(.dbipCSV(path: TestPaths.fixture("dbip/dbip-country-lite-2026-11.csv")))
        for file in ["dbip/dbip-country-lite-2026-11.csv", "dbip/dbip-country-lite-2026-11.csv.gz"] {
            let bytes = try #require(FileManager.default.contents(atPath: TestPaths.fixture(file)))
            for readSize in [Int.max, 1, 7] {
                let memory = try GeoDatabase.load(.dbipCSV(Array(bytes)), readSize: readSize)
                #expect(memory.regions == dbip.regions)
                for region in dbip.regions { #expect(memory.addresses(of: region) == dbip.addresses(of: region)) }
                #expect(memory.report == dbip.report)
            }
        }
    }

    @Test("A byte order mark arriving over several reads is still removed")
    func byteOrderMarkOverSmallReads() throws {
        let csv = Array("\u{FEFF}1.0.0.0,1.0.0.255,AU\n".utf8)
        for readSize in [1, 2, 3, 4, Int.max] {
            let database = try GeoDatabase.load(.dbipCSV(csv), readSize: readSize)
            #expect(database.report.rows == 1, "read size \(readSize)")
        }
    }

    @Test("GeoLite2: a locations row shorter than the header is malformed, not a crash")
    func geoLite2ShortLocationsRow() throws {
        // The row lacks country_iso_code (the fuzzer's first GeoLite2 crash: index out of range).
        let locations = Array("geoname_id,locale_code,continent_code,continent_name,country_iso_code\n2921044,en\n".utf8)
        let source = GeoDatabase.InMemorySource.geoLite2CSV(locations: locations, blocks4: [], blocks6: [], country: .located)
        #expect(throws: GeoFilterError.self) { try GeoDatabase.load(source) }
        let error = try #require(throws: GeoFilterError.self) { try GeoDatabase.load(source) }
        #expect(error.message.contains("expected at least 5 fields, found 2"), "\(error)")
    }

    @Test("GeoLite2: a blocks row without the network column (placed last in the header) is malformed")
    func geoLite2MissingNetworkColumn() throws {
        let locations = Array("geoname_id,country_iso_code\n1,DE\n".utf8)
        // network is the 6th column; the row has 3 fields, enough for the count check alone.
        let blocks = Array("geoname_id,registered_country_geoname_id,a,b,c,network\n1,1,0\n".utf8)
        let source = GeoDatabase.InMemorySource.geoLite2CSV(locations: locations, blocks4: blocks, blocks6: [], country: .located)
        let error = try #require(throws: GeoFilterError.self) { try GeoDatabase.load(source) }
        #expect(error.message.contains("no network field"), "\(error)")
    }

    /// A valid snapshot whose bytes `edit` changes, with the checksum made right again.
    private func editedSnapshot(_ edit: (inout [UInt8], _ metadataEnd: Int) -> Void) throws -> [UInt8] {
        let database = try GeoDatabase.load(.dbipCSV(Array("1.0.0.0,1.0.0.255,AU\n".utf8)))
        var bytes = try GeoSnapshot.encode(database)
        let metadataLength = Int(bytes[44]) | Int(bytes[45]) << 8 | Int(bytes[46]) << 16 | Int(bytes[47]) << 24
        edit(&bytes, 48 + metadataLength)
        let checksum = SHA256.hash(Array(bytes[44...]))
        bytes.replaceSubrange(12..<44, with: checksum)
        return bytes
    }

    @Test("Snapshot: a payload length above Int.max is corrupt, not a trap")
    func snapshotPayloadLength() throws {
        // The fuzzer's snapshot crash: Int(UInt64) trapped on the payload length.
        let bytes = try editedSnapshot { bytes, end in
            for index in end..<end + 8 { bytes[index] = 0xFF }
        }
        let error = try #require(throws: GeoFilterError.self) { try GeoSnapshot.decode(bytes) }
        #expect(error.message.contains("payload length"), "\(error)")
    }

    @Test("Snapshot: a payload length the compressed bytes cannot hold is refused before a buffer is sized by it")
    func snapshotImplausiblePayloadLength() throws {
        // The fuzzer's snapshot target peaked at 1.2 GB: a 300-byte file claiming a 1 GiB
        // payload made the loader allocate (and zero) 1 GiB before inflating.
        let bytes = try editedSnapshot { bytes, end in
            let length = UInt64(1 << 30)
            for index in 0..<8 { bytes[end + index] = UInt8(truncatingIfNeeded: length >> (8 * index)) }
        }
        let error = try #require(throws: GeoFilterError.self) { try GeoSnapshot.decode(bytes) }
        #expect(error.message.contains("payload length"), "\(error)")
    }

    @Test("Snapshot: a row count above Int.max is corrupt, not a trap")
    func snapshotRowCount() throws {
        let bytes = try editedSnapshot { bytes, _ in
            for index in 56..<64 { bytes[index] = 0xFF }  // rows: after the length and generated-at
        }
        let error = try #require(throws: GeoFilterError.self) { try GeoSnapshot.decode(bytes) }
        #expect(error.message.contains("row count"), "\(error)")
    }

    @Test("Snapshot: a huge segment count does not reserve gigabytes before failing")
    func snapshotSegmentCount() throws {
        let bytes = try editedSnapshot { bytes, _ in
            for index in 64..<68 { bytes[index] = 0xFF }  // IPv4 segment count: 4,294,967,295
        }
        let error = try #require(throws: GeoFilterError.self) { try GeoSnapshot.decode(bytes) }
        #expect(error.code == .invalidInput, "\(error)")
    }
}
