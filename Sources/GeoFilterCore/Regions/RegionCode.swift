/// The code a row of GeoIP data assigns to a network: a real country, a pseudo-code, or a
/// two-character code that is neither (withdrawn codes and noise such as CS, UK, AN, SU).
///
/// Pseudo-codes are reported, never mapped to a real country. A value is two bytes (the code's
/// upper-case ASCII characters), so lookups return it at no cost.
public struct RegionCode: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The two code bytes, upper case, the first in the high byte.
    let key: UInt16

    /// What kind of code this is.
    public enum Kind: Hashable, Sendable {
        /// An ISO 3166-1 country.
        case country(Country)
        /// A pseudo-code GeoIP data uses for something that is not one country.
        case pseudo(PseudoCode)
        /// Neither: a withdrawn or unofficial code.
        case unrecognized
    }

    init(key: UInt16) { self.key = key }

    /// The code of a country.
    public init(_ country: Country) {
        key = Self.key(country.alpha2.utf8)!
    }

    /// The code of a pseudo-region.
    public init(_ pseudo: PseudoCode) {
        key = Self.key(pseudo.rawValue.utf8)!
    }

    /// Classifies a code as found in data: two letters (any case), a letter and a digit (the
    /// legacy A1, A2, O1), or `??`.
    ///
    /// - Returns: nil for anything else (empty, one or three characters, a leading digit).
    public init?(dataCode code: some StringProtocol) {
        guard let key = Self.key(code.utf8) else { return nil }
        self.key = key
    }

    /// The key of two ASCII letters (upper-cased), a letter and a digit, or `??`; else nil.
    @inline(__always)
    static func key(_ bytes: some Collection<UInt8>) -> UInt16? {
        guard bytes.count == 2 else { return nil }
        let first = bytes.first!
        let second = bytes[bytes.index(after: bytes.startIndex)]
        return key(first, second)
    }

    @inline(__always)
    static func key(_ first: UInt8, _ second: UInt8) -> UInt16? {
        if first == UInt8(ascii: "?") && second == UInt8(ascii: "?") { return 0x3F3F }
        let a = first & 0xDF  // upper-case ASCII letters
        guard a &- UInt8(ascii: "A") < 26 else { return nil }
        // The second character is a letter, or a digit as in the legacy A1, A2 and O1.
        let b = second &- UInt8(ascii: "0") < 10 ? second : second & 0xDF
        guard b &- UInt8(ascii: "A") < 26 || b &- UInt8(ascii: "0") < 10 else { return nil }
        return UInt16(a) << 8 | UInt16(b)
    }

    /// The code as written in data, upper case (`DE`, `EU`, `??`).
    public var code: String {
        String(decoding: [UInt8(key >> 8), UInt8(key & 0xFF)], as: UTF8.self)
    }

    /// Whether the code is a real country, a pseudo-code or neither.
    public var kind: Kind {
        if let country { return .country(country) }
        if let pseudo = PseudoCode(rawValue: code) { return .pseudo(pseudo) }
        return .unrecognized
    }

    /// The country, when the code is a real one (and not a pseudo-code such as EU).
    public var country: Country? {
        let index = Self.countryByKey[Int(key)]
        return index == 0xFF ? nil : Country(index: index)
    }

    /// Country index by key (0xFF: not a country); pseudo-codes are never countries.
    private static let countryByKey: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 1 << 16)
        for country in Country.all {
            let key = RegionCode.key(country.alpha2.utf8)!
            if PseudoCode(rawValue: country.alpha2) == nil { table[Int(key)] = country.index }
        }
        return table
    }()

    public var description: String { code }

    /// Ordered by code.
    public static func < (lhs: RegionCode, rhs: RegionCode) -> Bool { lhs.key < rhs.key }
}
