#if canImport(Glibc)
import Glibc
#endif

/// Serialises the changes a backend makes to one network namespace (apply, remove, restore,
/// confirm), across threads and processes: an exclusive `flock` on a lock file named for the
/// backend and the namespace's identity (its inode, so `ip netns` names, `/proc/PID/ns/net`
/// paths and the current namespace all agree).
///
/// A second caller waits up to a timeout, then gets ``GeoFilterError/Code/busy`` with "another
/// apply is in progress (pid N)". The lock is the kernel's: a process that dies (even by
/// SIGKILL) releases it, so a killed apply never blocks the next one.
struct ApplyLock {
    /// Where lock files live: `/run/geofilter` (memory-backed, emptied at boot).
    static let standardDirectory = "/run/geofilter"

    /// The directory for lock files.
    var directory: String
    /// How long a caller waits for another apply to finish.
    var timeout: Duration

    init(directory: String = standardDirectory, timeout: Duration = .seconds(60)) {
        self.directory = directory
        self.timeout = timeout
    }

    /// Runs `body` while holding the lock of `backend` in `namespace`.
    ///
    /// - Throws: ``GeoFilterError``: `.busy` when another holder keeps the lock past the
    ///   timeout, `.namespace` when the namespace does not exist, `.file` when the lock file
    ///   cannot be made; and whatever `body` throws.
    func withLock<Result>(
        backend: BackendKind, namespace: NetworkNamespace, _ body: () throws(GeoFilterError) -> Result
    ) throws(GeoFilterError) -> Result {
        try withLock(named: backend.rawValue, namespace: namespace, body)
    }

    /// Runs `body` while holding the lock called `name` in `namespace` (a lock of its own for a
    /// sequence that itself calls a backend, such as commit-confirm's state changes).
    func withLock<Result>(
        named name: String, namespace: NetworkNamespace, _ body: () throws(GeoFilterError) -> Result
    ) throws(GeoFilterError) -> Result {
        let path = try lockPath(name: name, namespace: namespace)
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else {
            let code: GeoFilterError.Code = errno == EACCES || errno == EPERM ? .permission : .file
            throw GeoFilterError.system(code, "cannot open the lock file \(path)", errno: errno)
        }
        defer { close(descriptor) }
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var pause = Duration.milliseconds(5)
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else {
                throw GeoFilterError.system(.file, "cannot lock \(path)", errno: errno)
            }
            guard clock.now < deadline else {
                let holder = Self.holder(descriptor).map { " (pid \($0))" } ?? ""
                throw GeoFilterError(
                    .busy, "another apply is in progress\(holder) in this network namespace; nothing was changed, try again when it has finished")
            }
            let wait = min(pause, deadline - clock.now)
            var time = timespec(tv_sec: Int(wait.components.seconds), tv_nsec: Int(wait.components.attoseconds / 1_000_000_000))
            var left = timespec()
            while nanosleep(&time, &left) != 0 && errno == EINTR { time = left }
            pause = min(pause * 2, .milliseconds(100))
        }
        defer { flock(descriptor, LOCK_UN) }
        Self.record(getpid(), in: descriptor)
        return try body()
    }

    /// `DIR/BACKEND-DEVICE-INODE.lock` for the namespace's file.
    func lockPath(backend: BackendKind, namespace: NetworkNamespace) throws(GeoFilterError) -> String {
        try lockPath(name: backend.rawValue, namespace: namespace)
    }

    /// `DIR/NAME-DEVICE-INODE.lock` for the namespace's file.
    func lockPath(name backend: String, namespace: NetworkNamespace) throws(GeoFilterError) -> String {
        let nsPath = namespace.path ?? "/proc/self/ns/net"
        var info = stat()
        guard stat(nsPath, &info) == 0 else {
            throw GeoFilterError.system(.namespace, "no such network namespace (\(nsPath))", errno: errno)
        }
        if mkdir(directory, 0o700) != 0 && errno != EEXIST {
            if errno == EACCES || errno == EPERM || errno == EROFS {
                throw GeoFilterError.system(
                    .permission, "changing the firewall needs root (CAP_NET_ADMIN): cannot create the lock directory \(directory)",
                    errno: errno)
            }
            throw GeoFilterError.system(.file, "cannot create the lock directory \(directory)", errno: errno)
        }
        return "\(directory)/\(backend)-\(info.st_dev)-\(info.st_ino).lock"
    }

    /// Writes the holder's pid into the lock file (for the message a waiting caller gets).
    private static func record(_ pid: pid_t, in descriptor: Int32) {
        let text = Array("\(pid)\n".utf8)
        guard ftruncate(descriptor, 0) == 0 else { return }
        _ = text.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
    }

    /// The pid the current holder wrote, if readable.
    private static func holder(_ descriptor: Int32) -> Int? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        return Int(String(decoding: buffer[..<count].prefix { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }, as: UTF8.self))
    }
}
