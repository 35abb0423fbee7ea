#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Writes bytes to an open file descriptor (standard output by default).
package struct FileOutput: Sendable {
    private let descriptor: Int32

    /// Standard output.
    package static let standardOutput = FileOutput(descriptor: STDOUT_FILENO)
    /// Standard error.
    package static let standardError = FileOutput(descriptor: STDERR_FILENO)

    init(descriptor: Int32) { self.descriptor = descriptor }

    /// Writes all of `bytes`, retrying after interruptions and short writes.
    ///
    /// - Throws: ``GeoFilterError`` with code `io` when the descriptor refuses the bytes.
    package func write(_ bytes: [UInt8]) throws(GeoFilterError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { raw in
                Glibc.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
            }
            if written < 0 {
                if errno == EINTR { continue }
                throw GeoFilterError.system(.file, "cannot write the output", errno: errno)
            }
            offset += written
        }
    }

    /// Writes the UTF-8 bytes of `text`.
    package func write(_ text: String) throws(GeoFilterError) {
        try write(Array(text.utf8))
    }
}
