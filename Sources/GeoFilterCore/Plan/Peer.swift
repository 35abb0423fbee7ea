/// A peer address the host currently sees (a registered extension, a trunk), for the impact
/// preview.
public struct Peer: Sendable, Hashable {
    public var address: IPAddress
    /// What the host calls it (`ext 201`, `trunk sipgate`).
    public var label: String?

    public init(address: IPAddress, label: String? = nil) {
        self.address = address
        self.label = label
    }
}
