/// An address that must keep working whatever the plan: the admin's own session, a management
/// host, a registered peer. ``FirewallPlan/lockoutCheck(keeping:)`` checks a plan against them
/// before it is applied.
public struct ProtectedAddress: Sendable, Hashable, CustomStringConvertible {
    /// Why the address must keep working.
    public enum Origin: Sendable, Hashable {
        /// Named by the admin (`--keep ADDR`).
        case kept
        /// The client of the session the admin works in (`SSH_CONNECTION`).
        case session
        /// A peer the host sees (a registered extension, a trunk), with the host's label.
        case peer(label: String?)
    }

    public var address: IPAddress
    public var origin: Origin
    /// The destination the address reaches, when known (the SSH server's port for a session):
    /// a scoped geo rule that does not cover it leaves the address working.
    public var transport: TransportProtocol?
    public var port: UInt16?

    public init(address: IPAddress, origin: Origin, transport: TransportProtocol? = nil, port: UInt16? = nil) {
        self.address = address
        self.origin = origin
        self.transport = transport
        self.port = port
    }

    /// The client of the SSH session the process runs in, from `SSH_CONNECTION`
    /// (`client_ip client_port server_ip server_port`), with the server's TCP port; nil when the
    /// variable is absent or not of that form. An IPv4-mapped client (`::ffff:192.0.2.7`) is
    /// the IPv4 address, and a zone (`fe80::1%eth0`) is dropped.
    ///
    /// - Parameter value: the variable's value (`ProcessInfo.processInfo.environment["SSH_CONNECTION"]`).
    public static func sshClient(_ value: String?) -> ProtectedAddress? {
        guard let value else { return nil }
        let fields = value.split(separator: " ")
        guard fields.count == 4 else { return nil }
        let host = fields[0].split(separator: "%", maxSplits: 1).first ?? fields[0]
        guard var address = try? IPAddress(parsing: host) else { return nil }
        if case .v6(let v6) = address, let v4 = v6.ipv4Mapped { address = .v4(v4) }
        return ProtectedAddress(address: address, origin: .session, transport: .tcp, port: UInt16(fields[3]))
    }

    /// What the address is, for people: `--keep`, `your SSH session`, `peer ext 201`.
    public var originText: String {
        switch origin {
        case .kept: "--keep"
        case .session: "your SSH session (SSH_CONNECTION)"
        case .peer(let label): label.map { "peer \($0)" } ?? "peer"
        }
    }

    public var description: String { "\(address) (\(originText))" }
}
