/// The answer of ``FirewallBackend/probe()``.
public struct BackendProbe: Sendable, Hashable, Codable {
    /// Whether the backend can apply plans here.
    public var available: Bool
    /// One sentence: what works, or what is missing and what to do.
    public var message: String
    /// Why the backend is unavailable (nil when it is available).
    public var reason: Reason?

    /// Why a backend cannot work here.
    public enum Reason: String, Sendable, Hashable, Codable {
        /// The kernel lacks the feature (nfnetlink, nf_tables, ip_set).
        case kernelSupport = "kernel-support"
        /// The process lacks CAP_NET_ADMIN (or CAP_SYS_ADMIN to enter a namespace).
        case permission
        /// A program the backend needs (iptables-restore) is not installed.
        case missingTool = "missing-tool"
        /// A library the backend loads when first used (libipset) is not installed.
        case missingLibrary = "missing-library"
        /// The network namespace does not exist.
        case namespace
        /// Anything else; the message says what.
        case other

        init(_ error: GeoFilterError) {
            switch error.code {
            case .permission: self = .permission
            case .unsupported: self = .kernelSupport
            case .namespace: self = .namespace
            default: self = .other
            }
        }
    }

    public init(available: Bool, message: String, reason: Reason? = nil) {
        self.available = available
        self.message = message
        self.reason = available ? nil : reason ?? .other
    }
}
