/// What the plan does with a packet from an address, and why.
public struct Verdict: Sendable, Hashable, CustomStringConvertible {
    /// Accept (this filter lets the packet go on) or drop.
    public enum Action: String, Sendable, Hashable {
        case accept
        case drop
    }

    /// Why: the rule that decides.
    public enum Reason: Sendable, Hashable {
        /// The policy is disabled: the plan drops nothing.
        case disabled
        /// The source is in a trusted network (the policy's entry that holds it).
        case trusted(IPAnyNetwork)
        /// The source is in a provider network.
        case provider(IPAnyNetwork)
        /// The source is a loopback address.
        case loopback
        /// Allow-only mode: the source is private or reserved space (the block that holds it).
        case reserved(String)
        /// Block mode: the source's country is blocked.
        case countryBlocked(Country, label: String?)
        /// Block mode: the source's country (or pseudo-region) is not blocked.
        case regionNotBlocked(RegionCode)
        /// Block mode: the data has no country for the source, so it is not blocked.
        case unknownNotBlocked
        /// Allow-only mode: the source's country is allowed.
        case countryAllowed(Country, label: String?)
        /// Allow-only mode: the source's country (or pseudo-region) is not in the allow list.
        case regionNotAllowed(RegionCode)
        /// Allow-only mode: the data has no country for the source, so it is not allowed.
        case unknownNotAllowed
        /// The geo rule is scoped and the packet's protocol and port are outside the scope.
        case outsideScope
    }

    public var action: Action
    public var reason: Reason
    /// The traffic the geo rule applies to, when the geo rule decided and is scoped.
    public var scope: ServiceScope?

    /// One phrase: `trusted 10.0.0.0/8`, `country CN blocked`, `country FR not in allow list`.
    public var reasonText: String {
        var text: String
        switch reason {
        case .disabled: text = "policy disabled"
        case .trusted(let network): text = "trusted \(network)"
        case .provider(let network): text = "provider \(network)"
        case .loopback: text = "loopback"
        case .reserved(let block): text = "reserved space \(block)"
        case .countryBlocked(let country, let label): text = "country \(country.alpha2) blocked" + (label.map { " (\($0))" } ?? "")
        case .regionNotBlocked(let region): text = "\(Self.regionText(region)) not blocked"
        case .unknownNotBlocked: text = "no country data for this address: not blocked"
        case .countryAllowed(let country, let label): text = "country \(country.alpha2) allowed" + (label.map { " (\($0))" } ?? "")
        case .regionNotAllowed(let region): text = "\(Self.regionText(region)) not in allow list"
        case .unknownNotAllowed: text = "no country data for this address: not in allow list"
        case .outsideScope: text = "outside the geo rule's scope"
        }
        if let scope, !scope.isAllTraffic { text += " (geo rule applies to \(scope) only)" }
        return text
    }

    private static func regionText(_ region: RegionCode) -> String {
        switch region.kind {
        case .country: "country \(region.code)"
        case .pseudo(let pseudo): "region \(region.code) (\(pseudo.meaning))"
        case .unrecognized: "code \(region.code)"
        }
    }

    /// `accept<TAB>reason`.
    public var description: String { "\(action.rawValue)\t\(reasonText)" }
}
