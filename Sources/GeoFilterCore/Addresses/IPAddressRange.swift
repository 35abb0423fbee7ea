/// An inclusive range of addresses of one family, `first...last`, written `first-last`.
public struct IPAddressRange<Address: IPAddressProtocol>: Hashable, Sendable, LosslessStringConvertible, Codable {
    /// The first address in the range.
    public let first: Address
    /// The last address in the range (never below `first`).
    public let last: Address

    /// Creates the range `first...last`.
    ///
    /// - Throws: ``IPAddressParseError/Reason/reversedRange`` when `last < first`.
    public init(first: Address, last: Address) throws(IPAddressParseError) {
        guard first <= last else { throw IPAddressParseError(.reversedRange, text: "\(first)-\(last)") }
        self.first = first
        self.last = last
    }

    init(uncheckedFirst first: Address, last: Address) {
        self.first = first
        self.last = last
    }

    /// Parses `first-last` (spaces around `-` allowed), a CIDR network or a single address.
    ///
    /// - Throws: ``IPAddressParseError`` naming the text and the reason.
    public init(parsing text: some StringProtocol) throws(IPAddressParseError) {
        let string = String(text)
        guard let dash = string.firstIndex(of: "-") else {
            self = try IPNetwork<Address>(parsing: string).range
            return
        }
        let firstText = string[..<dash].trimmingSpaces
        let lastText = string[string.index(after: dash)...].trimmingSpaces
        do {
            try self.init(first: Address(parsing: firstText), last: Address(parsing: lastText))
        } catch {
            throw IPAddressParseError(error.reason, text: string)
        }
    }

    public init?(_ description: String) {
        guard let parsed = try? Self(parsing: description) else { return nil }
        self = parsed
    }

    /// Whether `address` lies in the range.
    public func contains(_ address: Address) -> Bool { first <= address && address <= last }

    /// The fewest networks that together cover exactly this range, in address order.
    public var networks: [IPNetwork<Address>] {
        var result: [IPNetwork<Address>] = []
        PrefixSplitter.split(first.value, last.value) { start, length in
            result.append(IPNetwork(masking: Address(start), prefixLength: length))
        }
        return result
    }

    /// `first-last`.
    public var description: String { "\(first)-\(last)" }

    public init(from decoder: any Decoder) throws {
        self = try Self(parsing: decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// An inclusive IPv4 range.
public typealias IPv4Range = IPAddressRange<IPv4Address>
/// An inclusive IPv6 range.
public typealias IPv6Range = IPAddressRange<IPv6Address>

extension Substring {
    var trimmingSpaces: Substring {
        var result = self
        while result.first == " " || result.first == "\t" { result.removeFirst() }
        while result.last == " " || result.last == "\t" { result.removeLast() }
        return result
    }
}
