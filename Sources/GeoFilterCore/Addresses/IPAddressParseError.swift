/// Why a text could not be read as an address, network or range.
public struct IPAddressParseError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What was wrong with the text.
    public enum Reason: Error, Hashable, Sendable {
        /// The text was empty.
        case empty
        /// A character that has no place in the address (for example a space or `x`).
        case unexpectedCharacter
        /// An IPv4 part with a leading zero (`01`), which `inet_pton` rejects as ambiguous.
        case leadingZero
        /// An IPv4 part above 255.
        case octetOutOfRange
        /// Not exactly four dotted-decimal parts in an IPv4 address.
        case wrongNumberOfParts
        /// An IPv6 group of more than four hexadecimal digits.
        case groupTooLong
        /// Not eight groups in an IPv6 address without `::`, or more than eight with it.
        case wrongNumberOfGroups
        /// A single `:` at the start or end of an IPv6 address.
        case strayColon
        /// `::` used more than once, or where it would stand for no group at all.
        case misplacedDoubleColon
        /// The prefix length after `/` is not a number from 0 to the family's bit width.
        case invalidPrefixLength
        /// The address of a network has bits set beyond its prefix length (`10.0.0.1/8`).
        case hostBitsSet
        /// A range whose last address is below its first.
        case reversedRange
        /// A range whose two ends are of different families.
        case mixedFamilies
        /// An address of the other family where one of this family was expected.
        case wrongFamily
    }

    /// What was wrong.
    public var reason: Reason
    /// The text that was being parsed.
    public var text: String

    public init(_ reason: Reason, text: String) {
        self.reason = reason
        self.text = text
    }

    public var description: String {
        "'\(text)' is not valid: \(reason.explanation)"
    }
}

extension IPAddressParseError.Reason {
    /// One sentence fragment saying what is wrong.
    public var explanation: String {
        switch self {
        case .empty: "no address given"
        case .unexpectedCharacter: "it contains a character that has no place in an address"
        case .leadingZero: "an IPv4 part has a leading zero"
        case .octetOutOfRange: "an IPv4 part is above 255"
        case .wrongNumberOfParts: "an IPv4 address has exactly four dotted-decimal parts"
        case .groupTooLong: "an IPv6 group has more than four hexadecimal digits"
        case .wrongNumberOfGroups: "an IPv6 address has eight groups (fewer only with one '::')"
        case .strayColon: "an IPv6 address cannot start or end with a single ':'"
        case .misplacedDoubleColon: "'::' may appear once and must stand for at least one group"
        case .invalidPrefixLength: "the prefix length must be a number from 0 to 32 (IPv4) or 128 (IPv6)"
        case .hostBitsSet: "bits are set beyond the prefix length (mask them or fix the address)"
        case .reversedRange: "the last address of the range is below the first"
        case .mixedFamilies: "the two ends of the range are of different families"
        case .wrongFamily: "the address is of the other family"
        }
    }
}
