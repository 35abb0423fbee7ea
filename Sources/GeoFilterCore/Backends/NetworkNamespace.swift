/// The network namespace a backend works in.
public enum NetworkNamespace: Sendable, Hashable {
    /// The namespace of the calling process.
    case current
    /// A namespace named as `ip netns` names them (`/var/run/netns/NAME`).
    case named(String)
    /// A namespace file (for example `/proc/PID/ns/net`).
    case path(String)

    /// The namespace file, or nil for the current namespace.
    var path: String? {
        switch self {
        case .current: nil
        case .named(let name): "/var/run/netns/\(name)"
        case .path(let path): path
        }
    }
}
