internal import CNetfilterShim

/// A zlib inflate stream (gzip members or zlib data), the thin Swift wrapper over the shim.
final class Inflater {
    private let handle: OpaquePointer

    /// What the stream holds.
    enum Format {
        /// gzip (one or more members) or zlib data, told apart by the header.
        case gzipOrZlib
        /// A bare deflate stream, as in zip entries.
        case rawDeflate
    }

    /// Creates the stream for `format`.
    /// - Throws: ``GeoFilterError`` (`.outOfMemory`) when zlib cannot allocate it.
    init(_ format: Format = .gzipOrZlib) throws(GeoFilterError) {
        guard let handle = CNetfilterShim_inflater_create_format(format == .rawDeflate ? .raw : .gzipOrZlib) else {
            throw GeoFilterError(.outOfMemory, "cannot start a gzip decompressor (out of memory)")
        }
        self.handle = handle
    }

    deinit { CNetfilterShim_inflater_destroy(handle) }

    /// Inflates `input[inputRange]` into `output[outputOffset...]`.
    ///
    /// - Returns: the bytes consumed and produced.
    /// - Throws: the zlib message when the data is corrupt.
    func inflate(
        _ input: [UInt8], _ inputRange: Range<Int>, into output: inout [UInt8], at outputOffset: Int
    ) throws(GeoFilterError) -> (consumed: Int, produced: Int) {
        var consumed = 0
        var produced = 0
        let status = input.withUnsafeBytes { inputBytes in
            output.withUnsafeMutableBytes { outputBytes in
                CNetfilterShim_inflate(
                    handle,
                    inputBytes.baseAddress.map { $0.assumingMemoryBound(to: UInt8.self) + inputRange.lowerBound },
                    inputRange.count, &consumed,
                    outputBytes.baseAddress!.assumingMemoryBound(to: UInt8.self) + outputOffset,
                    outputBytes.count - outputOffset, &produced)
            }
        }
        let detail = { CNetfilterShim_inflater_message(self.handle).map { String(cString: $0) } }
        switch status {
        case .ok:
            return (consumed, produced)
        case .dataError:
            throw GeoFilterError(.invalidInput, "the gzip data is corrupt (\(detail() ?? "invalid deflate data"))")
        case .outOfMemory:
            throw GeoFilterError(.outOfMemory, "zlib ran out of memory while decompressing")
        case .bufferTooSmall, .internalError:
            throw GeoFilterError(.invalidInput, "zlib failed while decompressing (\(detail() ?? "\(status)"))")
        }
    }

    /// Whether the data so far ends with a complete gzip member.
    var atMemberEnd: Bool { CNetfilterShim_inflater_at_member_end(handle) }
}

extension Inflater {
    /// Inflates a whole gzip buffer of unknown expanded size, refusing more than `limit` bytes.
    ///
    /// - Throws: ``GeoFilterError`` when the data is corrupt, truncated or too large.
    static func inflateAll(_ input: [UInt8], limit: Int) throws(GeoFilterError) -> [UInt8] {
        let inflater = try Inflater()
        var output = [UInt8](repeating: 0, count: min(limit + 1, max(1 << 16, input.count * 4)))
        var consumed = 0
        var produced = 0
        while consumed < input.count {
            if produced == output.count {
                guard output.count <= limit else {
                    throw GeoFilterError(.limitExceeded, "the compressed data expands to more than \(limit) bytes")
                }
                output.append(contentsOf: [UInt8](repeating: 0, count: min(output.count, limit + 1 - output.count)))
            }
            let (used, made) = try inflater.inflate(input, consumed..<input.count, into: &output, at: produced)
            consumed += used
            produced += made
            if used == 0 && made == 0 { break }
        }
        guard produced <= limit else { throw GeoFilterError(.limitExceeded, "the compressed data expands to more than \(limit) bytes") }
        guard consumed == input.count, inflater.atMemberEnd else {
            throw GeoFilterError(.invalidInput, "the compressed data is truncated")
        }
        output.removeLast(output.count - produced)
        return output
    }

    /// Inflates a whole buffer of `format` that must expand to exactly `expectedLength` bytes.
    ///
    /// - Throws: ``GeoFilterError`` when the data is corrupt, truncated or of another length.
    static func inflateAll(_ input: [UInt8], expectedLength: Int, format: Format = .gzipOrZlib) throws(GeoFilterError) -> [UInt8] {
        let inflater = try Inflater(format)
        var output = [UInt8](repeating: 0, count: expectedLength + 1)
        var consumed = 0
        var produced = 0
        while consumed < input.count {
            let (used, made) = try inflater.inflate(input, consumed..<input.count, into: &output, at: produced)
            consumed += used
            produced += made
            if used == 0 && made == 0 { break }
        }
        guard produced == expectedLength, consumed == input.count, inflater.atMemberEnd else {
            throw GeoFilterError(.invalidInput, "the compressed data is truncated or has the wrong length")
        }
        output.removeLast()
        return output
    }

    /// Compresses a buffer as one zlib stream (best compression).
    static func deflateAll(_ input: [UInt8]) throws(GeoFilterError) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: CNetfilterShim_deflate_bound(input.count))
        var produced = 0
        let status = input.withUnsafeBytes { inputBytes in
            output.withUnsafeMutableBytes { outputBytes in
                CNetfilterShim_deflate(
                    inputBytes.baseAddress?.assumingMemoryBound(to: UInt8.self), inputBytes.count,
                    outputBytes.baseAddress!.assumingMemoryBound(to: UInt8.self), outputBytes.count, &produced, 9)
            }
        }
        switch status {
        case .ok: break
        case .outOfMemory: throw GeoFilterError(.outOfMemory, "zlib ran out of memory while compressing")
        case .dataError, .bufferTooSmall, .internalError:
            // deflateBound is an upper bound, so none of these can happen with valid arguments.
            throw GeoFilterError(.invalidInput, "zlib could not compress the data (\(status))")
        }
        output.removeLast(output.count - produced)
        return output
    }
}
