import ArgumentParser
import Foundation
import GeoFilterCore

/// POLICY: `--block CC[,CC...]` or `--allow-only CC[,CC...]` (continents as `@EU`, exceptions as
/// `-ZA`), `--trusted CIDR`..., `--provider CIDR`..., `--service NAME`..., `--forward`.
struct PolicyOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Block these countries (@EU for a continent, -ZA for an exception).", valueName: "CC[,CC...]"))
    var block: String?

    @Option(name: .customLong("allow-only"), help: ArgumentHelp("Allow only these countries (and private space); drop the rest.", valueName: "CC[,CC...]"))
    var allowOnly: String?

    @Option(name: .long, help: ArgumentHelp("A network that always passes (repeatable).", valueName: "CIDR"))
    var trusted: [String] = []

    @Option(name: .long, help: ArgumentHelp("A SIP provider network that always passes (repeatable).", valueName: "CIDR"))
    var provider: [String] = []

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

    /// The policy the options describe.
    func policy() throws(GeoFilterError) -> GeoPolicy {
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
