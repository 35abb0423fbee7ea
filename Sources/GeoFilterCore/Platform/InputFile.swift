#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A file opened for reading (`-` is standard input), decompressed on the fly when it starts
/// with the gzip signature, closed when the value goes away; or bytes in memory read the same
/// way (``init(bytes:name:readSize:decompressedLimit:)``, for tests and fuzzing).
///
/// Decompression is capped (``decompressedLimit``) so a gzip bomb cannot fill memory or disk.
/// A path must name a regular file: a FIFO, a device (`/dev/zero`) or a directory is refused
/// before anything is read, so it can neither block nor feed endless bytes. Standard input
/// (`-`) is the one exception.
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
    /// In memory: `pending` holds all the bytes and nothing is read from a descriptor.
    private let inMemory: Bool
    /// Whether the content comes from memory rather than a file.
    var isInMemory: Bool { inMemory }
    /// The most bytes one ``read(into:at:)`` of plain content returns (in memory only; lets
    /// tests cut the content into small reads, as a pipe does).
    private let readSize: Int
    /// The size of a regular file when opened (nil for standard input and memory).
    let fileSize: Int?

    /// Opens `path` (`-` is standard input).
    ///
    /// - Parameters:
    ///   - decompressedLimit: the most bytes a compressed file may expand to.
    ///   - decompressing: false to read a gzip file's bytes as they are.
    /// - Throws: ``GeoFilterError`` naming the file when it cannot be opened or read.
    ///   - maximumSize: the most bytes a regular file may have (checked before reading).
    /// - Throws: ``GeoFilterError`` naming the file when it cannot be opened or read, is not a
    ///   regular file, or is larger than `maximumSize`.
    init(
        path: String, decompressedLimit: Int = 4 << 30, decompressing: Bool = true, maximumSize: Int = .max
    ) throws(GeoFilterError) {
        let fd: Int32
        if path == "-" {
            name = "<stdin>"
            fd = STDIN_FILENO
            ownsDescriptor = false
            fileSize = nil
        } else {
            // O_NONBLOCK: opening a FIFO must not wait for a writer before it can be refused.
            fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
            guard fd >= 0 else {
                throw GeoFilterError.system(.file, "cannot open the file", errno: errno, location: .init(path: path))
            }
            var status = stat()
            guard fstat(fd, &status) == 0 else {
                let number = errno
                close(fd)
                throw GeoFilterError.system(.file, "cannot read the file's status", errno: number, location: .init(path: path))
            }
            guard status.st_mode & S_IFMT == S_IFREG else {
                close(fd)
                throw GeoFilterError(
                    .file, "is not a regular file (\(Self.kind(status.st_mode)))",
                    location: .init(path: path))
            }
            guard Int(status.st_size) <= maximumSize else {
                close(fd)
                throw GeoFilterError(
                    .limitExceeded, "the file has \(status.st_size) bytes, more than the \(maximumSize) accepted",
                    location: .init(path: path))
            }
            let flags = fcntl(fd, F_GETFL)
            if flags >= 0 { _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) }
            name = path
            ownsDescriptor = true
            fileSize = Int(status.st_size)
        }
        descriptor = fd
        self.decompressedLimit = decompressedLimit
        inMemory = false
        readSize = .max
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

    /// Reads `bytes` as if they were a file's content (gzip data is decompressed likewise).
    ///
    /// - Parameters:
    ///   - name: the name used in messages.
    ///   - readSize: the most bytes one read returns (at least 1), to cut the content into
    ///     small reads as a pipe does.
    init(bytes: [UInt8], name: String, readSize: Int = .max, decompressedLimit: Int = 4 << 30) throws(GeoFilterError) {
        self.name = name
        descriptor = -1
        ownsDescriptor = false
        fileSize = nil
        inMemory = true
        self.readSize = Swift.max(1, readSize)
        self.decompressedLimit = decompressedLimit
        pending = bytes
        pendingEnd = bytes.count
        isCompressed = bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B
        inflater = isCompressed ? try Inflater() : nil
    }

    deinit {
        if ownsDescriptor { close(descriptor) }
    }

    /// What a file mode that is not a regular file's is, for messages.
    static func kind(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFIFO: "a FIFO or pipe"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFDIR: "a directory"
        case S_IFSOCK: "a socket"
        default: "not a plain file"
        }
    }

    /// Reads up to `buffer.count - offset` bytes of content into `buffer[offset...]`.
    ///
    /// - Returns: the number of bytes; 0 at the end of the content.
    func read(into buffer: inout [UInt8], at offset: Int) throws(GeoFilterError) -> Int {
        guard let inflater else { return try readPlain(into: &buffer, at: offset) }
        while true {
            if pendingStart == pendingEnd {
                pendingStart = 0
                pendingEnd = inMemory ? 0 : try Self.readRaw(descriptor, into: &pending, at: 0, name: name)
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
            let count = Swift.min(pendingEnd - pendingStart, buffer.count - offset, readSize)
            for index in 0..<count { buffer[offset + index] = pending[pendingStart + index] }
            pendingStart += count
            return count
        }
        if inMemory { return 0 }
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
    ///
    /// - Parameters:
    ///   - limit: the most bytes of content accepted: the file's size is checked against it
    ///     before reading, and the content (decompressed) while reading.
    /// - Throws: ``GeoFilterError`` when the file cannot be read, is not a regular file, or
    ///   is larger than `limit`.
    static func contents(of path: String, decompressing: Bool = true, limit: Int = 4 << 30) throws(GeoFilterError) -> [UInt8] {
        let input = try InputFile(path: path, decompressedLimit: limit, decompressing: decompressing, maximumSize: limit)
        return try input.readAll(limit: limit)
    }

    /// The rest of the content, up to `limit` bytes.
    ///
    /// - Throws: ``GeoFilterError`` when reading fails or the content exceeds `limit` bytes.
    func readAll(limit: Int = 4 << 30, prefix: [UInt8] = []) throws(GeoFilterError) -> [UInt8] {
        var result = prefix
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = try read(into: &buffer, at: 0)
            if count == 0 { return result }
            guard result.count + count <= limit else {
                throw GeoFilterError(.limitExceeded, "the content is longer than \(limit) bytes", location: .init(path: name))
            }
            result.append(contentsOf: buffer[0..<count])
        }
    }
}
