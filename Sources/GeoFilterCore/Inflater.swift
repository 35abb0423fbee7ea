internal import CNetfilterShim

/// A zlib inflate stream (gzip members or zlib data), the thin Swift wrapper over the shim.
final class Inflater {
    private let handle: OpaquePointer

    /// Creates the stream.
    /// - Throws: ``GeoFilterError`` when zlib cannot allocate it.
    init() throws(GeoFilterError) {
        guard let handle = CNetfilterShim_inflater_create() else {
            throw GeoFilterError(.io, "cannot start a gzip decompressor (out of memory)")
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
        guard status >= 0 else {
            let detail = CNetfilterShim_inflater_message(handle).map { String(cString: $0) } ?? "zlib error \(status)"
            throw GeoFilterError(.invalidInput, "the gzip data is corrupt (\(detail))")
        }
        return (consumed, produced)
    }

    /// Whether the data so far ends with a complete gzip member.
    var atMemberEnd: Bool { CNetfilterShim_inflater_at_member_end(handle) != 0 }
}
