extension FirewallPlan {
    /// The SHA-256 of the plan's canonical text: every input sorted or canonical (sets as
    /// merged ranges, countries by code, ports merged), so input order never changes it.
    static func digest(
        policy: GeoPolicy, countries: [Country], trusted: CIDRSet, providers: CIDRSet, selected: CIDRSet
    ) -> String {
        var hasher = SHA256()
        hasher.update("geofilter-plan 1\n")
        hasher.update("mode \(policy.mode.rawValue)\nenabled \(policy.enabled)\n")
        hasher.update("directions \(policy.directions.sorted().map(\.rawValue).joined(separator: ","))\n")
        hasher.update("scope \(policy.scope)\n")
        hasher.update("countries \(countries.map(\.alpha2).joined(separator: ","))\n")
        let labels = countries.compactMap { country in policy.label(of: country).map { "\(country.alpha2)=\($0)" } }
        hasher.update("labels \(labels.joined(separator: ";"))\n")
        for (name, set) in [("trusted", trusted), ("providers", providers), ("selected", selected)] {
            hasher.update("\(name)\n")
            try! set.writeList(style: .ranges) { chunk in hasher.update(chunk) }
        }
        return SHA256.hex(hasher.finalize())
    }
}
