/// What `iptables-save -c` says about the filter table and GeoFilter's chains in one family:
/// the dispatcher chain (`GEOFILTER`, jumped to from INPUT/FORWARD, holding one jump to the
/// live generation's chain) and the generation chains (`GEOFILTER-<generation>`).
struct IPTablesState {
    /// Whether the filter table exists at all.
    var hasFilterTable = false
    /// Whether the dispatcher chain exists.
    var hasChain = false
    /// The built-in chains that jump to the dispatcher (`INPUT`, `FORWARD`).
    var jumps: Set<String> = []
    /// The dispatcher's rules as `-A CHAIN ...` lines (counters removed).
    var chainRules: [String] = []
    /// The generation chains that exist (`GEOFILTER-k3x9q2`), with their rules (counters removed).
    var generationChains: [String: [String]] = [:]
    /// Whether the table has no rules and no chains but the built-in ones, all accepting.
    var isEmptyFilterTable = true
    /// Counters of the drop rules per chain, named by their comment (`geo4`, `geo4 tcp 5060`).
    var dropCounters: [String: [(rule: String, packets: UInt64, bytes: UInt64)]] = [:]

    /// The dispatcher's name.
    let chain: String

    init(_ text: String, chain: String) {
        self.chain = chain
        let builtins: Set<String> = ["INPUT", "FORWARD", "OUTPUT"]
        let generationPrefix = chain + "-"
        var inFilter = false
        for raw in text.split(separator: "\n") {
            var line = Substring(raw)
            if line.hasPrefix("*") {
                inFilter = line == "*filter"
                hasFilterTable = hasFilterTable || inFilter
                continue
            }
            if !inFilter || line.hasPrefix("#") || line == "COMMIT" { continue }
            if line.hasPrefix(":") {
                let fields = line.dropFirst().split(separator: " ")
                guard let name = fields.first else { continue }
                if name == chain { hasChain = true }
                if name.hasPrefix(generationPrefix) && generationChains[String(name)] == nil { generationChains[String(name)] = [] }
                if !builtins.contains(String(name)) || fields.count < 2 || fields[1] != "ACCEPT" { isEmptyFilterTable = false }
                continue
            }
            var packets: UInt64 = 0
            var bytes: UInt64 = 0
            if line.hasPrefix("["), let close = line.firstIndex(of: "]") {
                let figures = line[line.index(after: line.startIndex)..<close].split(separator: ":")
                if figures.count == 2 {
                    packets = UInt64(figures[0]) ?? 0
                    bytes = UInt64(figures[1]) ?? 0
                }
                line = line[line.index(after: close)...].drop { $0 == " " }
            }
            guard line.hasPrefix("-A ") else { continue }
            isEmptyFilterTable = false
            let fields = line.split(separator: " ")
            guard fields.count >= 2 else { continue }
            let owner = String(fields[1])
            if owner == chain || owner.hasPrefix(generationPrefix) {
                if owner == chain { chainRules.append(String(line)) } else { generationChains[owner, default: []].append(String(line)) }
                if line.hasSuffix("-j DROP"), let start = line.firstRange(of: "--comment \"geofilter "),
                    let end = line[start.upperBound...].firstIndex(of: "\"")
                {
                    // "geofilter block geo4 tcp 5060": the rule is what follows the mode.
                    let words = line[start.upperBound..<end].split(separator: " ").dropFirst()
                    dropCounters[owner, default: []].append((words.joined(separator: " "), packets, bytes))
                }
            } else if line.hasSuffix("-j \(chain)"), fields.count == 4 {
                jumps.insert(String(fields[1]))
            }
        }
    }

    /// The generation the dispatcher sends packets to: the token of its one rule
    /// `-A GEOFILTER -j GEOFILTER-<token>`; `""` when the dispatcher holds a plan's rules itself
    /// (the layout before generations); nil when there is no dispatcher, no jump to it, or it
    /// is empty or jumps to a chain that does not exist (nothing of ours is enforced).
    var liveGeneration: String? {
        guard hasChain, !jumps.isEmpty, !chainRules.isEmpty else { return nil }
        let prefix = "-A \(chain) -j \(chain)-"
        if chainRules.count == 1, chainRules[0].hasPrefix(prefix) {
            let token = String(chainRules[0].dropFirst(prefix.count))
            return generationChains["\(chain)-\(token)"] != nil ? token : nil
        }
        // Rules of a plan directly in the dispatcher (applied before generations existed).
        return chainRules.contains { $0.contains(" -j \(chain)-") } ? nil : ""
    }

    /// The generations the dispatcher's rules refer to (`""` when it holds a plan's rules
    /// itself), whether or not anything jumps to it: their chains and sets are not leftovers.
    var referencedGenerations: Set<String> {
        guard hasChain, !chainRules.isEmpty else { return [] }
        let marker = " -j \(chain)-"
        var found: Set<String> = []
        for rule in chainRules {
            if let range = rule.firstRange(of: marker) {
                found.insert(String(rule[range.upperBound...].prefix { $0 != " " }))
            } else {
                found.insert("")
            }
        }
        return found
    }

    /// The rules of a generation's chain (`""`: the dispatcher's own, the layout before
    /// generations), or nil when the chain does not exist.
    func rules(ofGeneration generation: String) -> [String]? {
        generation.isEmpty ? (hasChain ? chainRules : nil) : generationChains["\(chain)-\(generation)"]
    }
}
