/// What the admin chose: which countries, what to do with them, and who always passes.
///
/// A policy is plain data (Codable, Sendable); ``validate(allowBroadExemptions:)`` checks it and
/// ``FirewallPlan/init(policy:database:)`` compiles it against country data.
public struct GeoPolicy: Codable, Sendable, Hashable {
    /// What happens to the selected countries.
    public enum Mode: String, Codable, Sendable, Hashable {
        /// Drop traffic from the selected countries; everything else passes.
        case blockSelected
        /// Pass traffic from the selected countries (and private/reserved space); drop the rest,
        /// including addresses the data has no country for.
        case allowOnlySelected
    }

    /// Which hook the rules sit on.
    public enum Direction: String, Codable, Sendable, Hashable, CaseIterable, Comparable {
        /// Traffic to the host itself (the input hook).
        case input
        /// Traffic the host forwards, for a PBX in a container whose packets cross the host's
        /// forward path.
        case forward

        public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// Block or allow-only.
    public var mode: Mode
    /// The countries, or continents with exceptions, each with an optional label.
    public var selections: [CountrySelection]
    /// Networks that always pass (the firewall's own allow rules: LAN, VPN, admin).
    public var trusted: [IPAnyNetwork]
    /// SIP provider (trunk) networks that always pass, even from a blocked country.
    public var providers: [IPAnyNetwork]
    /// Which traffic the geo rule applies to (default: all).
    public var scope: ServiceScope
    /// Where the rules apply (default: input only).
    public var directions: Set<Direction>
    /// When false, the plan holds no geo rule and drops nothing.
    public var enabled: Bool

    public init(
        mode: Mode, selections: [CountrySelection], trusted: [IPAnyNetwork] = [], providers: [IPAnyNetwork] = [],
        scope: ServiceScope = .allTraffic, directions: Set<Direction> = [.input], enabled: Bool = true
    ) {
        self.mode = mode
        self.selections = selections
        self.trusted = trusted
        self.providers = providers
        self.scope = scope
        self.directions = directions
        self.enabled = enabled
    }

    /// A policy from the demo's syntax: `DE,FR,@AF,-ZA` (continents as `@XX`, exceptions as
    /// `-XX`), CIDR strings for trusted and provider networks.
    ///
    /// - Throws: ``GeoFilterError`` listing every unknown code or naming the bad network.
    public init(
        mode: Mode, countries: String, trusted: [String] = [], providers: [String] = [], scope: ServiceScope = .allTraffic,
        directions: Set<Direction> = [.input]
    ) throws(GeoFilterError) {
        let selections = try CountrySelection.parseList(countries)
        self.init(
            mode: mode, selections: selections, trusted: try Self.networks(trusted, role: "trusted"),
            providers: try Self.networks(providers, role: "provider"), scope: scope, directions: directions)
    }

    private static func networks(_ texts: [String], role: String) throws(GeoFilterError) -> [IPAnyNetwork] {
        var result: [IPAnyNetwork] = []
        for text in texts {
            do throws(IPAddressParseError) { result.append(try IPAnyNetwork(parsing: text)) } catch {
                throw GeoFilterError(.invalidInput, "\(role) network \(error)")
            }
        }
        return result
    }

    /// The countries the selections name, with continents expanded and exceptions removed.
    public var countries: Set<Country> {
        var result: Set<Country> = []
        for selection in selections { result.formUnion(selection.countries) }
        return result
    }

    /// The label of the selection that names a country, if any.
    public func label(of country: Country) -> String? {
        selections.first { $0.countries.contains(country) && $0.label != nil }?.label
    }

    /// Checks the policy, refusing those that would filter nothing (or everything) by accident.
    ///
    /// - Parameter allowBroadExemptions: accept trusted and provider networks that together
    ///   cover half or more of an address family (`0.0.0.0/0`, `::/1`): they pass almost every
    ///   packet unfiltered, which is rarely what an admin means.
    /// - Throws: ``GeoFilterError`` with one sentence for the first problem: an enabled policy
    ///   with no country (a block policy would filter nothing, an allow-only one would drop every
    ///   public address; switch filtering off with ``enabled`` instead), broad exemptions, a
    ///   label that is too long or not printable, no direction, an empty port list, port 0.
    public func validate(allowBroadExemptions: Bool = false) throws(GeoFilterError) {
        if enabled && countries.isEmpty {
            throw GeoFilterError(
                .invalidInput,
                mode == .allowOnlySelected
                    ? "an allow-only policy needs at least one country: with none it would drop every public address"
                    : "the policy selects no country, so it would filter nothing; name countries, or set \"enabled\": false to switch filtering off")
        }
        if !allowBroadExemptions {
            let exempt = CIDRSet(networks: trusted + providers)
            for family in IPAddressFamily.allCases where exempt.holdsHalfOrMore(of: family) {
                let listed = (trusted + providers).filter { $0.family == family }.map(\.description)
                throw GeoFilterError(
                    .invalidInput,
                    "the trusted and provider networks (\(listed.joined(separator: " "))) cover half or more of all \(family) addresses, so they would pass almost every packet unfiltered; give the networks you mean, or force it (--force)")
            }
        }
        if directions.isEmpty {
            throw GeoFilterError(.invalidInput, "the policy applies to no direction: choose input, forward or both")
        }
        for selection in selections {
            if let label = selection.label,
                label.isEmpty || label.utf8.count > 64 || !label.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F && $0 != "\"" })
            {
                throw GeoFilterError(.invalidInput, "the label '\(label)' must be 1 to 64 printable ASCII characters without quotes")
            }
            if selection.countries.isEmpty {
                throw GeoFilterError(.invalidInput, "the selection \(selection) names no country once its exceptions are removed")
            }
        }
        for rule in scope.rules {
            if rule.ports.isEmpty { throw GeoFilterError(.invalidInput, "the \(rule.transport) scope lists no port") }
            if let zero = rule.ports.first(where: { $0.lowerBound == 0 }) {
                throw GeoFilterError(
                    .invalidInput, "the \(rule.transport) scope lists port \(zero.lowerBound == zero.upperBound ? "0" : "range 0-\(zero.upperBound)"): ports are 1-65535")
            }
        }
    }
}

extension IPAnyNetwork: Codable {
    /// Parses a network of either family (`10.0.0.0/8`, `2001:db8::/32`, or a single address).
    ///
    /// - Throws: ``IPAddressParseError`` (host bits set are an error).
    public init(parsing text: String) throws(IPAddressParseError) {
        if text.contains(":") {
            self = .v6(try IPv6Network(parsing: text))
        } else {
            self = .v4(try IPv4Network(parsing: text))
        }
    }

    public init(from decoder: any Decoder) throws {
        self = try IPAnyNetwork(parsing: decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
