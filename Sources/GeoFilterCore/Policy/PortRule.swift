/// Destination ports of one protocol that the geo rule applies to.
public struct PortRule: Codable, Sendable, Hashable {
    /// The protocol.
    public var transport: TransportProtocol
    /// Inclusive port ranges (1-65535).
    public var ports: [ClosedRange<UInt16>]

    public init(_ transport: TransportProtocol, _ ports: [ClosedRange<UInt16>]) {
        self.transport = transport
        self.ports = ports
    }
}
