#if canImport(Glibc)
import Glibc
#endif

/// Crash-safe file replacement: write a temporary file in the same directory, fsync it, rename
/// it over the target, fsync the directory. A reader sees the old file or the new one, never a
/// partial one, even when the process is killed or the machine loses power.
enum AtomicFile {
    /// The prefix of temporary files; ``removeTemporaries(in:)`` deletes leftovers.
    static let temporaryPrefix = ".tmp-"

    /// Replaces `path` with `bytes`.
    static func write(_ bytes: [UInt8], to path: String) throws(GeoFilterError) {
        let temporary = try temporaryFile(near: path)
        do throws(GeoFilterError) {
            try writeAll(bytes, to: temporary.descriptor, path: temporary.path)
            try sync(temporary.descriptor, path: temporary.path)
            close(temporary.descriptor)
            try move(temporary.path, to: path)
        } catch {
            close(temporary.descriptor)
            unlink(temporary.path)
            throw error
        }
    }

    /// Creates an empty temporary file beside `path` (same directory, so rename is atomic).
    static func temporaryFile(near path: String) throws(GeoFilterError) -> (path: String, descriptor: Int32) {
        let directory = directoryOf(path)
        let name = path.split(separator: "/").last.map(String.init) ?? "file"
        for _ in 0..<8 {
            let candidate = "\(directory)/\(temporaryPrefix)\(name)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            let descriptor = open(candidate, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            if descriptor >= 0 { return (candidate, descriptor) }
            if errno != EEXIST { throw GeoFilterError.system(.file, "cannot create a file in \(directory)", errno: errno) }
        }
        throw GeoFilterError(.file, "cannot create a temporary file in \(directory)")
    }

    /// Creates a temporary directory (removed by ``removeTemporaries(in:)`` if left behind).
    static func temporaryDirectory(in directory: String, named name: String) throws(GeoFilterError) -> String {
        for _ in 0..<8 {
            let candidate = "\(directory)/\(temporaryPrefix)\(name)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            if mkdir(candidate, 0o750) == 0 { return candidate }
            if errno != EEXIST { throw GeoFilterError.system(.file, "cannot create a directory in \(directory)", errno: errno) }
        }
        throw GeoFilterError(.file, "cannot create a temporary directory in \(directory)")
    }

    /// Renames `source` over `target` and makes the rename durable.
    static func move(_ source: String, to target: String) throws(GeoFilterError) {
        guard rename(source, target) == 0 else {
            throw GeoFilterError.system(.file, "cannot rename \(source) to \(target)", errno: errno)
        }
        syncDirectory(directoryOf(target))
    }

    /// Flushes a file's contents to disk.
    static func sync(_ descriptor: Int32, path: String) throws(GeoFilterError) {
        guard fsync(descriptor) == 0 else { throw GeoFilterError.system(.file, "cannot sync \(path)", errno: errno) }
    }

    /// Makes renames and deletions in a directory durable.
    static func syncDirectory(_ directory: String) {
        let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        _ = fsync(descriptor)
        close(descriptor)
    }

    /// Deletes leftover temporary files (of a process that was killed) in a directory.
    static func removeTemporaries(in directory: String) {
        for name in entries(of: directory) where name.hasPrefix(temporaryPrefix) {
            removeTree("\(directory)/\(name)")
        }
    }

    /// The names in a directory (no `.` and `..`), or none when it cannot be read.
    static func entries(of directory: String) -> [String] {
        guard let handle = opendir(directory) else { return [] }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// Deletes a file or a directory tree.
    static func removeTree(_ path: String) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        if info.st_mode & S_IFMT == S_IFDIR {
            for name in entries(of: path) { removeTree("\(path)/\(name)") }
            rmdir(path)
        } else {
            unlink(path)
        }
    }

    /// Creates a directory and its parents (mode 0750).
    static func makeDirectory(_ path: String) throws(GeoFilterError) {
        var partial = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            partial += "/\(component)"
            if mkdir(partial, 0o750) != 0 && errno != EEXIST {
                throw GeoFilterError.system(.file, "cannot create the directory \(partial)", errno: errno)
            }
        }
    }

    static func writeAll(_ bytes: [UInt8], to descriptor: Int32, path: String) throws(GeoFilterError) {
        do {
            try FileOutput(descriptor: descriptor).write(bytes)
        } catch {
            throw GeoFilterError(.file, error.message, location: .init(path: path))
        }
    }

    static func directoryOf(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
