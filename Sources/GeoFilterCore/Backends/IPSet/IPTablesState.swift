/// What `iptables-save -c` says about the filter table and GeoFilter's chain in one family.
struct IPTablesState {
    /// Whether the filter table exists at all.
    var hasFilterTable = false
    /// Whether our chain exists.
    var hasChain = false
    /// The built-in chains that jump to our chain (`INPUT`, `FORWARD`).
    var jumps: Set<String> = []
    /// Our chain's rules as `-A CHAIN ...` lines (counters removed).
    var chainRules: [String] = []
    /// Whether the table has no rules and no chains but the built-in ones, all accepting.
    var isEmptyFilterTable = true
    /// Counters of our drop rules, named by their comment (`geo4`, `geo4 tcp 5060`).
    var dropCounters: [(rule: String, packets: UInt64, bytes: UInt64)] = []

    init(_ text: String, chain: String) {
        let builtins: Set<String> = ["INPUT", "FORWARD", "OUTPUT"]
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
            if fields[1] == chain {
                chainRules.append(String(line))
                if line.hasSuffix("-j DROP"), let start = line.firstRange(of: "--comment \"geofilter "),
                    let end = line[start.upperBound...].firstIndex(of: "\"")
                {
                    // "geofilter block geo4 tcp 5060": the rule is what follows the mode.
                    let words = line[start.upperBound..<end].split(separator: " ").dropFirst()
                    dropCounters.append((words.joined(separator: " "), packets, bytes))
                }
            } else if line.hasSuffix("-j \(chain)"), fields.count == 4 {
                jumps.insert(String(fields[1]))
            }
        }
    }
}
