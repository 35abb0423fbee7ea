/// What the admin chose: which countries, what to do with them, and who always passes.
///
/// A policy is plain data (Codable, Sendable); ``validate(allowBroadExemptions:)`` checks it and
/// ``FirewallPlan/init(policy:database:)`` compiles it against country data.
///
/// Trusted and provider entries may also be DNS names (``trustedNames``, ``providerNames``):
/// ``resolvingNames(using:previous:now:)`` looks them up before compiling and keeps the result
/// in ``resolvedNames``, so compiling stays pure.
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
    /// Trusted hosts and SRV services given by name; their addresses (in ``resolvedNames``)
    /// always pass.
    public var trustedNames: [HostEntry]
    /// SIP provider hosts and SRV services given by name (trunks are usually given so); their
    /// addresses (in ``resolvedNames``) always pass.
    public var providerNames: [HostEntry]
    /// The addresses ``trustedNames`` and ``providerNames`` resolved to (or the last good ones),
    /// set by ``resolvingNames(using:previous:now:)`` or by the host from its cache. Not part
    /// of the policy's JSON form: it is state, kept apart (``ResolvedNames/write(to:)``).
    public var resolvedNames: ResolvedNames
    /// Which traffic the geo rule applies to (default: all).
    public var scope: ServiceScope
    /// Where the rules apply (default: input only).
    public var directions: Set<Direction>
    /// When false, the plan holds no geo rule and drops nothing.
    public var enabled: Bool

    public init(
        mode: Mode, selections: [CountrySelection], trusted: [IPAnyNetwork] = [], providers: [IPAnyNetwork] = [],
        scope: ServiceScope = .allTraffic, directions: Set<Direction> = [.input], enabled: Bool = true,
        trustedNames: [HostEntry] = [], providerNames: [HostEntry] = [], resolvedNames: ResolvedNames = ResolvedNames()
    ) {
        self.mode = mode
        self.selections = selections
        self.trusted = trusted
        self.providers = providers
        self.trustedNames = trustedNames
        self.providerNames = providerNames
        self.resolvedNames = resolvedNames
        self.scope = scope
        self.directions = directions
        self.enabled = enabled
    }

    /// A policy from the demo's syntax: `DE,FR,@AF,-ZA` (continents as `@XX`, exceptions as
    /// `-XX`), CIDR strings or DNS names for trusted and provider entries
    /// (``ExemptionEntry/init(parsing:role:)``: `10.0.0.0/8`, `sip.example.net`,
    /// `_sip._udp.example.net`).
    ///
    /// - Throws: ``GeoFilterError`` listing every unknown code or naming the bad entry.
    public init(
        mode: Mode, countries: String, trusted: [String] = [], providers: [String] = [], scope: ServiceScope = .allTraffic,
        directions: Set<Direction> = [.input]
    ) throws(GeoFilterError) {
        let selections = try CountrySelection.parseList(countries)
        let trustedEntries = try Self.entries(trusted, role: "trusted")
        let providerEntries = try Self.entries(providers, role: "provider")
        self.init(
            mode: mode, selections: selections, trusted: trustedEntries.networks, providers: providerEntries.networks, scope: scope,
            directions: directions, trustedNames: trustedEntries.names, providerNames: providerEntries.names)
    }

    /// Splits entries into networks and names, in order, names without repeats.
    static func entries(_ texts: [String], role: String) throws(GeoFilterError) -> (networks: [IPAnyNetwork], names: [HostEntry]) {
        var networks: [IPAnyNetwork] = []
        var names: [HostEntry] = []
        for text in texts {
            switch try ExemptionEntry(parsing: text, role: role) {
            case .network(let network): networks.append(network)
            case .name(let name): if !names.contains(name) { names.append(name) }
            }
        }
        return (networks, names)
    }

    /// The trusted networks with the addresses the trusted names resolved to (each a /32 or
    /// /128), as the plan accepts them.
    public var resolvedTrusted: [IPAnyNetwork] { trusted + resolvedNames.networks(of: trustedNames) }

    /// The provider networks with the addresses the provider names resolved to.
    public var resolvedProviders: [IPAnyNetwork] { providers + resolvedNames.networks(of: providerNames) }

    private enum CodingKeys: String, CodingKey {
        case mode, selections, trusted, providers, scope, directions, enabled
    }

    /// Decodes the JSON form: `trusted` and `providers` are arrays of strings, each a network
    /// or a DNS name (files written before names existed hold networks only and read as before).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        mode = try container.decode(Mode.self, forKey: .mode)
        selections = try container.decode([CountrySelection].self, forKey: .selections)
        let trusted = try Self.entries(try container.decode([String].self, forKey: .trusted), role: "trusted")
        let providers = try Self.entries(try container.decode([String].self, forKey: .providers), role: "provider")
        (self.trusted, trustedNames) = trusted
        (self.providers, providerNames) = providers
        scope = try container.decode(ServiceScope.self, forKey: .scope)
        directions = try container.decode(Set<Direction>.self, forKey: .directions)
        enabled = try container.decode(Bool.self, forKey: .enabled)
        resolvedNames = ResolvedNames()
    }

    /// Encodes the JSON form: networks, then names, in each of `trusted` and `providers`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(mode, forKey: .mode)
        try container.encode(selections, forKey: .selections)
        try container.encode(trusted.map(\.description) + trustedNames.map(\.description), forKey: .trusted)
        try container.encode(providers.map(\.description) + providerNames.map(\.description), forKey: .providers)
        try container.encode(scope, forKey: .scope)
        try container.encode(directions, forKey: .directions)
        try container.encode(enabled, forKey: .enabled)
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
            let exempt = CIDRSet(networks: resolvedTrusted + resolvedProviders)
            for family in IPAddressFamily.allCases where exempt.holdsHalfOrMore(of: family) {
                let listed = (resolvedTrusted + resolvedProviders).filter { $0.family == family }.map(\.description)
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
