internal import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Serialises this process's ``IPSetBackend`` operations (apply, status, remove) on one network
/// namespace, so two of them never interleave their set swaps and iptables commits. It is not
/// the libipset lock (the shim holds that inside each libipset call only): operations on
/// different namespaces, and the iptables programs they run, proceed side by side.
enum IPSetOperationLock {
    /// One lock per namespace; entries stay (a handful of namespaces per process).
    private final class Entry: Sendable {
        let lock = Mutex<Void>(())
    }

    private static let entries = Mutex<[String: Entry]>([:])

    /// Runs `body` holding the lock of `namespace`.
    static func withLock<Result: Sendable>(
        _ namespace: NetworkNamespace, _ body: () throws(GeoFilterError) -> Result
    ) throws(GeoFilterError) -> Result {
        let key = identity(namespace)
        let entry = entries.withLock { entries in
            if let entry = entries[key] { return entry }
            let entry = Entry()
            entries[key] = entry
            return entry
        }
        return try entry.lock.withLock { _ throws(GeoFilterError) -> Result in try body() }
    }

    /// The namespace's device and inode (the same namespace under two names shares a lock), or
    /// its path when it cannot be examined (opening a session will then fail and say why).
    private static func identity(_ namespace: NetworkNamespace) -> String {
        let path = namespace.path ?? "/proc/self/ns/net"
        var status = stat()
        guard stat(path, &status) == 0 else { return "path:" + path }
        return "\(status.st_dev):\(status.st_ino)"
    }
}
