#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Something that yields bytes in chunks: an open file, a decompressor.
protocol ByteSource: ~Copyable {
    /// The name used in error messages (a path, or `<stdin>`).
    var name: String { get }
    /// Reads up to `buffer.count - offset` bytes into `buffer[offset...]`; 0 means the end.
    mutating func read(into buffer: inout [UInt8], at offset: Int) throws(GeoFilterError) -> Int
}

/// A file descriptor opened for reading, closed when the value goes away.
///
/// The only place in GeoFilterCore that hands a raw buffer to the C library (`read(2)`).
struct FileByteSource: ByteSource, ~Copyable {
    let name: String
    private let descriptor: Int32
    private let ownsDescriptor: Bool

    /// Opens `path` for reading; `-` is standard input.
    init(path: String) throws(GeoFilterError) {
        if path == "-" {
            name = "<stdin>"
            descriptor = STDIN_FILENO
            ownsDescriptor = false
            return
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw GeoFilterError(.io, "cannot open the file: \(errnoText())", location: .init(path: path))
        }
        name = path
        descriptor = fd
        ownsDescriptor = true
    }

    mutating func read(into buffer: inout [UInt8], at offset: Int) throws(GeoFilterError) -> Int {
        let capacity = buffer.count - offset
        while true {
            let count = buffer.withUnsafeMutableBytes { raw in
                Glibc.read(descriptor, raw.baseAddress! + offset, capacity)
            }
            if count >= 0 { return count }
            if errno == EINTR { continue }
            throw GeoFilterError(.io, "cannot read the file: \(errnoText())", location: .init(path: name))
        }
    }

    deinit {
        if ownsDescriptor { close(descriptor) }
    }
}

/// The text of the current `errno`.
func errnoText() -> String {
    String(cString: strerror(errno))
}
