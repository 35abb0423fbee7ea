import Foundation
import ArgumentParser
import GeoFilterCore

extension GeoFilterDemo {
    /// `plan POLICY [--source SPEC] [--format summary|nft|ipset|json] [--peers FILE]`.
    struct Plan: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compile a policy into the firewall plan and print it for review.",
            discussion: """
                summary: figures and the representation chosen per backend; nft: an `nft -f` script; \
                ipset: `ipset restore` input, then `iptables-restore` and `ip6tables-restore` input; \
                json: an object with the digest and everything in the summary. With --peers, lists \
                the peers the plan would cut off (on standard error for nft and ipset).
                """)

        enum Format: String, ExpressibleByArgument, CaseIterable {
            case summary, nft, ipset, json
        }

        @OptionGroup var policyOptions: PolicyOptions
        @OptionGroup var data: SourceOptions

        @Option(name: .long, help: "Output format.")
        var format: Format = .summary

        @Option(name: .long, help: "A file of peer addresses the host sees now (one per line, then an optional label).")
        var peers: String?

        func run() throws {
            try reportingErrors { () throws(GeoFilterError) in
                let policy = try policyOptions.policy()
                let peerList = try peers.map(PeerFile.read) ?? []
                let plan = try FirewallPlan(policy: policy, database: data.load(), allowBroadExemptions: policyOptions.force)
                policyOptions.warn(about: plan)
                let output: String
                switch format {
                case .summary: output = plan.summary
                case .json: output = plan.json
                case .nft: output = plan.nftScript()
                case .ipset:
                    output = plan.ipsetScript() + "# iptables-restore --noflush\n" + plan.iptablesScript(.ipv4)
                        + "# ip6tables-restore --noflush\n" + plan.iptablesScript(.ipv6)
                }
                try FileOutput.standardOutput.write(output)
                if peers != nil {
                    let impact = plan.impact(on: peerList)
                    var text = "impact: \(impact.count) of \(peerList.count) peers would be cut off\n"
                    for cut in impact {
                        text += "cut off\t\(cut.peer.address)\t\(cut.peer.label ?? "-")\t\(cut.verdict.reasonText)\n"
                    }
                    let stream = format == .summary ? FileOutput.standardOutput : FileOutput.standardError
                    try stream.write(text)
                }
            }
        }
    }

    /// `explain IP POLICY [--source SPEC]`: the verdict for one address.
    struct Explain: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Say what the plan does with a new connection from an address, and why.",
            discussion: "First line: IP<TAB>accept|drop<TAB>reason. Established connections are accepted by the first rule and not modelled.")

        @Argument(help: "The source address.")
        var address: String

        @OptionGroup var policyOptions: PolicyOptions
        @OptionGroup var data: SourceOptions

        @Option(name: .long, help: ArgumentHelp("The destination, for a scoped policy: udp:5060, tcp:443.", valueName: "PROTO:PORT"))
        var destination: String?

        func run() throws {
            try reportingErrors { () throws(GeoFilterError) in
                let ip: IPAddress
                do throws(IPAddressParseError) { ip = try IPAddress(parsing: address) } catch {
                    throw GeoFilterError(.invalidInput, "argument \(error)")
                }
                var transport: TransportProtocol?
                var port: UInt16?
                if let destination {
                    let parts = destination.lowercased().split(separator: ":")
                    guard parts.count == 2, let t = TransportProtocol(rawValue: String(parts[0])), let p = UInt16(parts[1]) else {
                        throw GeoFilterError(.invalidInput, "'\(destination)' is not a destination: use udp:PORT or tcp:PORT")
                    }
                    (transport, port) = (t, p)
                }
                let plan = try FirewallPlan(policy: policyOptions.policy(), database: data.load(), allowBroadExemptions: policyOptions.force)
                let verdict = plan.explain(ip, transport: transport, port: port)
                var text = "\(address)\t\(verdict)\n"
                if let lookup = plan.lookupRegion(ip) { text += "region\t\(lookup.region)\t\(lookup.network)\n" }
                for (role, names) in [("trusted", plan.policy.trustedNames), ("provider", plan.policy.providerNames)] {
                    for name in names where plan.policy.resolvedNames[name]?.addresses.contains(ip) == true {
                        text += "name\t\(role) \(name)\n"
                    }
                }
                text += "plan\tsha256:\(plan.digest)\n"
                try FileOutput.standardOutput.write(text)
            }
        }
    }
}

/// Reads a peers file: an address per line, optionally followed by a label; `#` comments.
enum PeerFile {
    static func read(_ path: String) throws(GeoFilterError) -> [Peer] {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw GeoFilterError(.file, "cannot read the peers file", location: .init(path: path))
        }
        var peers: [Peer] = []
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            guard let first = fields.first else { continue }
            do throws(IPAddressParseError) {
                let address = try IPAddress(parsing: first)
                let label = fields.dropFirst().joined(separator: " ")
                peers.append(Peer(address: address, label: label.isEmpty ? nil : label))
            } catch {
                throw GeoFilterError(.invalidInput, error.description, location: .init(path: path, line: index + 1))
            }
        }
        return peers
    }
}
