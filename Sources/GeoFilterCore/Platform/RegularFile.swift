#if canImport(Glibc)
import Glibc
#endif

/// Reads small whole files (policies, manifests) that must be regular files of bounded size.
enum RegularFile {
    /// The file's bytes.
    ///
    /// - Throws: ``GeoFilterError``: `.file` when the file cannot be opened or read, or is not a
    ///   regular file (a FIFO, a device, a directory: said as such, before any read), and
    ///   `.limitExceeded` when it is larger than `limit` bytes.
    static func read(_ path: String, limit: Int) throws(GeoFilterError) -> [UInt8] {
        let location = GeoFilterError.Location(path: path)
        // O_NONBLOCK: opening a FIFO must not wait for a writer; the type check below refuses it.
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else { throw GeoFilterError.system(.file, "cannot open the file", errno: errno, location: location) }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            throw GeoFilterError.system(.file, "cannot read the file's type", errno: errno, location: location)
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw GeoFilterError(.file, "is not a regular file (\(InputFile.kind(info.st_mode))); give the path of a file", location: location)
        }
        guard info.st_size <= limit else {
            throw GeoFilterError(.limitExceeded, "the file has \(info.st_size) bytes; at most \(limit) are read", location: location)
        }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size) + 1)
        var count = 0
        while true {
            let result = bytes.withUnsafeMutableBytes { buffer in
                Glibc.read(descriptor, buffer.baseAddress! + count, buffer.count - count)
            }
            if result < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw GeoFilterError.system(.file, "cannot read the file", errno: errno, location: location)
            }
            if result == 0 { break }
            count += result
            if count == bytes.count {
                // The file grew while being read.
                throw GeoFilterError(.limitExceeded, "the file grew while it was read; at most \(limit) bytes are read", location: location)
            }
        }
        bytes.removeLast(bytes.count - count)
        return bytes
    }
}
