#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A file opened for reading (`-` is standard input), decompressed on the fly when it starts
/// with the gzip signature, closed when the value goes away.
///
/// Decompression is capped (``decompressedLimit``) so a gzip bomb cannot fill memory or disk.
/// Together with ``Inflater`` and ``FileOutput`` this is the only code in GeoFilterCore that
/// hands raw buffers to the C library.
final class InputFile {
    /// The name used in messages: the path, or `<stdin>`.
    let name: String
    /// Whether the content is gzip-compressed.
    let isCompressed: Bool
    private let descriptor: Int32
    private let ownsDescriptor: Bool
    private let inflater: Inflater?
    private var pending: [UInt8]  // raw bytes read ahead (signature probe, compressed input)
    private var pendingStart = 0
    private var pendingEnd = 0
    private var produced = 0
    private let decompressedLimit: Int

    /// Opens `path` (`-` is standard input).
    ///
    /// - Parameters:
    ///   - decompressedLimit: the most bytes a compressed file may expand to.
    ///   - decompressing: false to read a gzip file's bytes as they are.
    /// - Throws: ``GeoFilterError`` naming the file when it cannot be opened or read.
    init(path: String, decompressedLimit: Int = 4 << 30, decompressing: Bool = true) throws(GeoFilterError) {
        let fd: Int32
        if path == "-" {
            name = "<stdin>"
            fd = STDIN_FILENO
            ownsDescriptor = false
        } else {
            fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else {
                throw GeoFilterError.system(.file, "cannot open the file", errno: errno, location: .init(path: path))
            }
            name = path
            ownsDescriptor = true
        }
        descriptor = fd
        self.decompressedLimit = decompressedLimit
        pending = [UInt8](repeating: 0, count: 1 << 18)
        // Read until two bytes are there (or the end) to look for the gzip signature.
        var filled = 0
        while filled < 2 {
            let count: Int
            do { count = try Self.readRaw(fd, into: &pending, at: filled, name: name) } catch {
                if ownsDescriptor { close(fd) }
                throw error
            }
            if count == 0 { break }
            filled += count
        }
        pendingEnd = filled
        isCompressed = decompressing && filled >= 2 && pending[0] == 0x1F && pending[1] == 0x8B
        if isCompressed {
            do { inflater = try Inflater() } catch {
                if ownsDescriptor { close(fd) }
                throw error
            }
        } else {
            inflater = nil
        }
    }

    deinit {
        if ownsDescriptor { close(descriptor) }
    }

    /// Reads up to `buffer.count - offset` bytes of content into `buffer[offset...]`.
    ///
    /// - Returns: the number of bytes; 0 at the end of the content.
    func read(into buffer: inout [UInt8], at offset: Int) throws(GeoFilterError) -> Int {
        guard let inflater else { return try readPlain(into: &buffer, at: offset) }
        while true {
            if pendingStart == pendingEnd {
                pendingStart = 0
                pendingEnd = try Self.readRaw(descriptor, into: &pending, at: 0, name: name)
                if pendingEnd == 0 {
                    guard inflater.atMemberEnd else {
                        throw GeoFilterError(.invalidInput, "the gzip data ends early: the file is truncated", location: .init(path: name))
                    }
                    return 0
                }
            }
            let (consumed, count): (Int, Int)
            do {
                (consumed, count) = try inflater.inflate(pending, pendingStart..<pendingEnd, into: &buffer, at: offset)
            } catch {
                throw GeoFilterError(error.code, error.message, location: .init(path: name))
            }
            pendingStart += consumed
            produced += count
            if produced > decompressedLimit {
                throw GeoFilterError(
                    .limitExceeded, "the file expands to more than \(decompressedLimit) bytes when decompressed",
                    location: .init(path: name))
            }
            if count > 0 { return count }
        }
    }

    private func readPlain(into buffer: inout [UInt8], at offset: Int) throws(GeoFilterError) -> Int {
        if pendingStart < pendingEnd {
            let count = Swift.min(pendingEnd - pendingStart, buffer.count - offset)
            for index in 0..<count { buffer[offset + index] = pending[pendingStart + index] }
            pendingStart += count
            return count
        }
        return try Self.readRaw(descriptor, into: &buffer, at: offset, name: name)
    }

    /// `read(2)` into `buffer[offset...]`, retrying after interruptions.
    private static func readRaw(
        _ descriptor: Int32, into buffer: inout [UInt8], at offset: Int, name: String
    ) throws(GeoFilterError) -> Int {
        let capacity = buffer.count - offset
        while true {
            let count = buffer.withUnsafeMutableBytes { raw in
                Glibc.read(descriptor, raw.baseAddress! + offset, capacity)
            }
            if count >= 0 { return count }
            if errno == EINTR { continue }
            throw GeoFilterError.system(.file, "cannot read the file", errno: errno, location: .init(path: name))
        }
    }
}

extension InputFile {
    /// The bytes of a file (of a gzip file, its content, unless `decompressing` is false).
    static func contents(of path: String, decompressing: Bool = true) throws(GeoFilterError) -> [UInt8] {
        let input = try InputFile(path: path, decompressing: decompressing)
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = try input.read(into: &buffer, at: 0)
            if count == 0 { return result }
            result.append(contentsOf: buffer[0..<count])
        }
    }
}
