import ArgumentParser
import Foundation
import GeoFilterCore

/// POLICY: `--block CC[,CC...]` or `--allow-only CC[,CC...]` (continents as `@EU`, exceptions as
/// `-ZA`), `--trusted CIDR|HOST`..., `--provider CIDR|HOST`..., `--service NAME`..., `--forward`.
/// Host names (and `_sip._udp.DOMAIN` SRV names) are resolved before the plan is compiled:
/// `--nameserver` picks the DNS server, `--names-cache` keeps the last good lookups.
struct PolicyOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Block these countries (@EU for a continent, -ZA for an exception).", valueName: "CC[,CC...]"))
    var block: String?

    @Option(name: .customLong("allow-only"), help: ArgumentHelp("Allow only these countries (and private space); drop the rest.", valueName: "CC[,CC...]"))
    var allowOnly: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "A network, or a host name (its A and AAAA records), that always passes (repeatable).", valueName: "CIDR|HOST"))
    var trusted: [String] = []

    @Option(
        name: .long,
        help: ArgumentHelp(
            "A SIP provider network or host name that always passes (repeatable); _sip._udp.DOMAIN or _sip._tcp.DOMAIN: the addresses of the SRV targets.",
            valueName: "CIDR|HOST"))
    var provider: [String] = []

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Resolve trusted and provider names with this DNS server (repeatable; default: the nameserver lines of /etc/resolv.conf).",
            valueName: "ADDRESS[:PORT]"))
    var nameserver: [String] = []

    @Option(
        name: .customLong("names-cache"),
        help: ArgumentHelp(
            "Keep the last good lookups of trusted and provider names in this JSON file: a name whose lookup fails keeps the addresses found before.",
            valueName: "FILE"))
    var namesCache: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Apply the geo rule to this service only (repeatable): sip, rtp, rtp:LOW-HIGH, web, ssh, ami, ajam, tcp:PORTS, udp:PORTS. Default: all traffic.",
            valueName: "SERVICE"))
    var service: [String] = []

    @Option(name: .long, help: ArgumentHelp("Label a country or continent choice for reports (repeatable): CN=block-cn, @AF=africa.", valueName: "CODE=TEXT"))
    var label: [String] = []

    @Flag(name: .long, help: "Also filter forwarded traffic (a PBX in a container behind this host).")
    var forward = false

    @Flag(
        name: .long,
        help: """
            Accept trusted or provider networks that cover half or more of an address family (0.0.0.0/0, ::/1): \
            they pass almost everything unfiltered. For apply, also apply a plan that would cut off a --keep \
            address, your SSH session or a peer.
            """)
    var force = false

    @Option(name: .customLong("policy-file"), help: ArgumentHelp("Read the policy from a JSON file (GeoPolicy's Codable form) instead.", valueName: "FILE"))
    var policyFile: String?

    func validate() throws {
        let given = [block != nil, allowOnly != nil, policyFile != nil].filter { $0 }.count
        guard given == 1 else {
            throw ValidationError("Give exactly one of --block CC[,CC...], --allow-only CC[,CC...] or --policy-file FILE.")
        }
    }

    /// The policy the options describe, its trusted and provider names resolved (lookup
    /// failures said on standard error; the last good addresses kept with `--names-cache`).
    func policy() throws(GeoFilterError) -> GeoPolicy {
        try resolvingNames(try unresolvedPolicy())
    }

    /// Resolves the policy's names, if any, through `--nameserver` or the system's servers.
    private func resolvingNames(_ policy: GeoPolicy) throws(GeoFilterError) -> GeoPolicy {
        guard !policy.names.isEmpty else { return policy }
        var servers: [DNSResolver.Nameserver] = []
        for text in nameserver { servers.append(try DNSResolver.Nameserver(parsing: text)) }
        let resolver = try DNSResolver(nameservers: servers)
        let previous = try namesCache.map { path throws(GeoFilterError) in try ResolvedNames.loadIfPresent(path: path) }
        let resolved = policy.resolvingNames(using: resolver, previous: previous)
        if let namesCache {
            // Other policies' names stay in the file: one cache may serve several policies.
            var cache = previous ?? ResolvedNames()
            for entry in resolved.resolvedNames.entries { cache.record(entry) }
            try cache.write(to: namesCache)
        }
        for entry in resolved.resolvedNames.entries where entry.failure != nil {
            let kept = entry.addresses.isEmpty ? "nothing passes for it" : "keeping \(entry.addressText)"
            try? FileOutput.standardError.write("geofilter-demo: warning: lookup of \(entry.name) failed: \(entry.failure ?? ""); \(kept)\n")
        }
        return resolved
    }

    /// Prints the plan's warnings about trusted and provider addresses in blocked countries
    /// on standard error (lookup failures were said when the names were resolved).
    func warn(about plan: FirewallPlan) {
        for warning in plan.warnings where warning.kind == .exemptionInBlockedCountry {
            try? FileOutput.standardError.write("geofilter-demo: warning: \(warning.message)\n")
        }
    }

    /// The policy as given, names not yet resolved.
    private func unresolvedPolicy() throws(GeoFilterError) -> GeoPolicy {
        if let policyFile { return try GeoPolicy.load(path: policyFile) }
        var rules: [PortRule] = []
        for name in service { rules += try ServiceScope.service(name) }
        var policy = try GeoPolicy(
            mode: block != nil ? .blockSelected : .allowOnlySelected, countries: block ?? allowOnly ?? "",
            trusted: trusted, providers: provider, scope: ServiceScope(rules: rules),
            directions: forward ? [.input, .forward] : [.input])
        for item in label {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            let index = parts.count == 2 ? policy.selections.firstIndex { $0.description.hasPrefix(parts[0].uppercased()) } : nil
            guard let index else {
                throw GeoFilterError(.invalidInput, "--label '\(item)' must be CODE=TEXT for a country or @continent of the policy")
            }
            policy.selections[index].label = parts[1]
        }
        return policy
    }
}
