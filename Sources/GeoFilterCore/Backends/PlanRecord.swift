/// The metadata a backend keeps in the kernel so ``FirewallBackend/status()`` can say what is
/// enforced: the nftables record rule's comment (the kernel keeps at most 256 bytes of rule
/// user data) or the ipset meta set's entry comment (at most 255 bytes):
/// `gf1 HEXDIGEST b|a COUNTRYBITMAP t4=N,t6=N,... [KEY=VALUE ...]`, the countries as a bitmap
/// over ``Country/all`` and the set sizes under short names (``shortNames``).
struct PlanRecord {
    var digest: String
    var mode: GeoPolicy.Mode
    var countries: [Country]
    var sets: [FirewallStatus.SetStatus]

    init(plan: FirewallPlan, sets: [FirewallStatus.SetStatus]) {
        digest = plan.digest
        mode = plan.policy.mode
        countries = plan.countries
        self.sets = sets
    }

    /// Backend-specific `key=value` fields after the set sizes (the ipset backend keeps its
    /// rules fingerprint and the filter tables it created there).
    var extras: [String: String] = [:]

    init?(parsing text: String) {
        let fields = text.split(separator: " ")
        guard fields.count >= 5, fields[0] == "gf1", fields[1].count == 64, fields[2] == "b" || fields[2] == "a" else { return nil }
        digest = String(fields[1])
        mode = fields[2] == "b" ? .blockSelected : .allowOnlySelected
        var countries: [Country] = []
        for (index, character) in fields[3].enumerated() {
            guard let nibble = character.hexDigitValue else { return nil }
            for bit in 0..<4 where nibble & (8 >> bit) != 0 {
                let position = index * 4 + bit
                if position < Country.all.count { countries.append(Country.all[position]) }
            }
        }
        self.countries = countries
        sets = fields[4].split(separator: ",").compactMap { item in
            let parts = item.split(separator: "=")
            guard parts.count == 2, let count = Int(parts[1]), let name = Self.longName[String(parts[0])] else { return nil }
            return FirewallStatus.SetStatus(name: name, elements: count)
        }
        for field in fields.dropFirst(5) {
            guard let equals = field.firstIndex(of: "=") else { return nil }
            extras[String(field[..<equals])] = String(field[field.index(after: equals)...])
        }
    }

    /// Short names of the kernel sets and maps in the record: `geo4` is `g4`.
    static let shortNames: [String: String] = {
        var names: [String: String] = [:]
        for family in IPAddressFamily.allCases {
            let digit = family == .ipv4 ? "4" : "6"
            for role in PlanSet.allCases { names[role.name(family)] = String(role.rawValue.prefix(1)) + digit }
            names[KernelNames.countryMap(family)] = "c" + digit
        }
        return names
    }()

    static let longName: [String: String] = Dictionary(uniqueKeysWithValues: shortNames.map { ($1, $0) })

    var text: String {
        var nibbles = [Int](repeating: 0, count: (Country.all.count + 3) / 4)
        for country in countries {
            let position = Int(country.index)
            nibbles[position / 4] |= 8 >> (position % 4)
        }
        let bitmap = nibbles.map { String($0, radix: 16) }.joined()
        let counts = sets.map { "\(Self.shortNames[$0.name] ?? $0.name)=\($0.elements)" }.joined(separator: ",")
        let extraFields = extras.sorted { $0.key < $1.key }.map { " \($0.key)=\($0.value)" }.joined()
        return "gf1 \(digest) \(mode == .blockSelected ? "b" : "a") \(bitmap) \(counts)\(extraFields)"
    }
}
