/// GeoFilter's compact binary snapshot of a ``GeoDatabase`` (the bundled database's format).
///
/// Layout (little-endian):
/// ```
/// 0   "GEOFSNAP"                 magic
/// 8   UInt32                     format version (1)
/// 12  32 bytes                   SHA-256 of every byte from offset 44 to the end
/// 44  UInt32 M, M bytes          metadata: generated-at Int64, row count UInt64, segment
///                                counts UInt32 ×2, then source name, version, licence,
///                                attribution as UInt16-length UTF-8 strings
/// ..  UInt64                     payload length before compression
/// ..  zlib stream                payload: per family, per segment: gap since the previous
///                                segment, length − 1 (LEB128 varints) and the code (2 bytes)
/// ```
/// Loading checks the magic, version, checksum, lengths, counts and that segments ascend
/// without overlap, so a corrupt or truncated file is refused with a clear error.
public enum GeoSnapshot {
    static let magic = Array("GEOFSNAP".utf8)
    static let formatVersion: UInt32 = 1
    private static let headerSize = 44

    /// The snapshot of a database, as bytes.
    public static func encode(_ database: GeoDatabase) throws(GeoFilterError) -> [UInt8] {
        var payload = ByteWriter()
        encode(database.map4, into: &payload)
        encode(database.map6, into: &payload)
        let compressed = try Inflater.deflateAll(payload.bytes)

        var metadata = ByteWriter()
        let provenance = database.provenance
        metadata.integer(provenance.generatedAt ?? Int64.min)
        metadata.integer(UInt64(database.report.rows))
        metadata.integer(UInt32(database.map4.count))
        metadata.integer(UInt32(database.map6.count))
        metadata.string(provenance.sourceName)
        metadata.string(provenance.version ?? "")
        metadata.string(provenance.licence)
        metadata.string(provenance.attribution)

        var body = ByteWriter()
        body.integer(UInt32(metadata.bytes.count))
        body.bytes += metadata.bytes
        body.integer(UInt64(payload.bytes.count))
        body.bytes += compressed

        var file = ByteWriter()
        file.bytes = magic
        file.integer(formatVersion)
        file.bytes += SHA256.hash(body.bytes)
        file.bytes += body.bytes
        return file.bytes
    }

    private static func encode<V: AddressValue>(_ map: SegmentMap<V>, into writer: inout ByteWriter) {
        var next: V = 0  // the first address after the previous segment
        for index in 0..<map.count {
            writer.varint(map.starts[index] - next)
            writer.varint(map.end(index) - map.starts[index])
            writer.integer(map.code(index).key)
            next = map.end(index) &+ 1
        }
    }

    /// The largest snapshot file (or decompressed content) accepted: 64 MiB. A snapshot of a
    /// whole source's data (660,000 IPFire rows) takes about 1 MB.
    public static let maximumFileSize = 64 << 20

    /// Reads a snapshot file.
    ///
    /// The file must be a regular file (not a FIFO or a device); its magic is checked before
    /// anything else is read, then its size against ``maximumFileSize``, so a wrong or huge
    /// file is refused at once.
    ///
    /// - Throws: ``GeoFilterError`` naming the file when it cannot be read or is not a valid,
    ///   complete snapshot.
    public static func load(path: String) throws(GeoFilterError) -> GeoDatabase {
        let input = try InputFile(path: path, decompressedLimit: maximumFileSize)
        var head = [UInt8](repeating: 0, count: magic.count)
        var filled = 0
        while filled < head.count {
            let count = try input.read(into: &head, at: filled)
            if count == 0 { break }
            filled += count
        }
        guard magic.starts(with: head[0..<filled]) else {
            throw GeoFilterError(.invalidInput, "this is not a GeoFilter snapshot (wrong magic)", location: .init(path: path))
        }
        if let size = input.fileSize, size > maximumFileSize {
            throw GeoFilterError(
                .limitExceeded, "the snapshot has \(size) bytes, more than the \(maximumFileSize) accepted",
                location: .init(path: path))
        }
        let bytes = try input.readAll(limit: maximumFileSize, prefix: Array(head[0..<filled]))
        do {
            return try decode(bytes, files: [path], verifyingChecksum: true)
        } catch {
            throw GeoFilterError(error.code, error.message, location: .init(path: path))
        }
    }

    /// Reads a snapshot from bytes.
    ///
    /// - Throws: ``GeoFilterError`` when the bytes are not a valid, complete snapshot.
    public static func decode(_ bytes: [UInt8], files: [String] = []) throws(GeoFilterError) -> GeoDatabase {
        try decode(bytes, files: files, verifyingChecksum: true)
    }

    /// Reads a snapshot from bytes, optionally without checking the checksum, so a fuzzer's
    /// mutations reach the checks behind it.
    @_spi(Fuzzing) public static func decode(_ bytes: [UInt8], verifyingChecksum: Bool) throws(GeoFilterError) -> GeoDatabase {
        try decode(bytes, files: [], verifyingChecksum: verifyingChecksum)
    }

    static func decode(_ bytes: [UInt8], files: [String], verifyingChecksum: Bool) throws(GeoFilterError) -> GeoDatabase {
        guard bytes.starts(with: magic) || magic.starts(with: bytes) else {
            throw GeoFilterError(.invalidInput, "this is not a GeoFilter snapshot (wrong magic)")
        }
        guard bytes.count >= headerSize else {
            throw GeoFilterError(.invalidInput, "the snapshot is truncated (\(bytes.count) bytes)")
        }
        var header = ByteReader(bytes, offset: 8, what: "the snapshot")
        let version = try header.integer(UInt32.self)
        guard version == formatVersion else {
            throw GeoFilterError(.unsupported, "the snapshot has format version \(version); this GeoFilter reads version \(formatVersion)")
        }
        let body = Array(bytes[headerSize...])
        guard !verifyingChecksum || SHA256.hash(body) == Array(bytes[12..<headerSize]) else {
            throw GeoFilterError(.invalidInput, "the snapshot is corrupt or truncated (checksum mismatch)")
        }
        var reader = ByteReader(body, what: "the snapshot")
        let metadataLength = Int(try reader.integer(UInt32.self))
        let metadataStart = reader.offset
        let generatedAt = try reader.integer(Int64.self)
        let rows = try reader.integer(UInt64.self)
        let count4 = Int(try reader.integer(UInt32.self))
        let count6 = Int(try reader.integer(UInt32.self))
        let provenance = DataProvenance(
            sourceName: try reader.string(), version: try reader.string(), generatedAt: generatedAt == .min ? nil : generatedAt,
            licence: try reader.string(), attribution: try reader.string(), files: files)
        guard reader.offset - metadataStart <= metadataLength else {
            throw GeoFilterError(.invalidInput, "the snapshot is corrupt (metadata overruns its length)")
        }
        var skip = ByteReader(body, offset: metadataStart + metadataLength, what: "the snapshot")
        // The payload length sizes the output buffer before inflating, so it must be plausible:
        // deflate expands at most 1,032 times, and every segment takes at least 4 bytes.
        guard let payloadLength = Int(exactly: try skip.integer(UInt64.self)), payloadLength <= 1 << 30,
            payloadLength <= skip.remaining * 1032 + 64, payloadLength >= 4 * (count4 + count6)
        else {
            throw GeoFilterError(.invalidInput, "the snapshot is corrupt (payload length)")
        }
        let payload = try Inflater.inflateAll(skip.rest(), expectedLength: payloadLength)
        var data = ByteReader(payload, what: "the snapshot payload")
        let map4: SegmentMap<UInt32> = try decode(count: count4, from: &data)
        let map6: SegmentMap<UInt128> = try decode(count: count6, from: &data)
        guard data.isAtEnd else { throw GeoFilterError(.invalidInput, "the snapshot payload has bytes after its segments") }
        guard let rowCount = Int(exactly: rows) else {
            throw GeoFilterError(.invalidInput, "the snapshot is corrupt (row count \(rows))")
        }
        var report = ParseReport()
        report.rows = rowCount
        return GeoDatabase(map4: map4, map6: map6, provenance: provenance, report: report)
    }

    private static func decode<V: AddressValue>(count: Int, from reader: inout ByteReader) throws(GeoFilterError) -> SegmentMap<V> {
        var starts: [V] = []
        var ends: [V] = []
        var codes: [RegionCode] = []
        // The count comes from the file: reserve no more than the payload can hold (a segment
        // takes at least 4 bytes), so a corrupt count cannot allocate gigabytes up front.
        let reserved = Swift.min(count, reader.remaining / 4)
        starts.reserveCapacity(reserved)
        ends.reserveCapacity(reserved)
        codes.reserveCapacity(reserved)
        var next: V = 0
        var pastEnd = false  // the previous segment ended at the last address
        for _ in 0..<count {
            let gap = try reader.varint(V.self)
            let length = try reader.varint(V.self)
            let key = try reader.integer(UInt16.self)
            let (start, overflow1) = next.addingReportingOverflow(gap)
            let (end, overflow2) = start.addingReportingOverflow(length)
            guard !pastEnd, !overflow1, !overflow2, RegionCode.key(UInt8(key >> 8), UInt8(key & 0xFF)) == key else {
                throw GeoFilterError(.invalidInput, "the snapshot is corrupt (a segment is out of order or has a bad code)")
            }
            starts.append(start)
            ends.append(end)
            codes.append(RegionCode(key: key))
            pastEnd = end == V.max
            next = end &+ 1
        }
        return SegmentMap(starts: starts, ends: ends, codes: codes)
    }
}
