/// One set's header as `ipset list -t` prints it.
struct IPSetHeader: Hashable {
    var name: String
    var type = ""
    var family: IPAddressFamily?
    var entries = 0
    /// Rules (and sets) that reference the set.
    var references = 0

    /// Every block of `ipset list -t` output (all sets), by name.
    static func parse(_ text: String) -> [String: IPSetHeader] {
        var headers: [String: IPSetHeader] = [:]
        var current: IPSetHeader?
        func flush() {
            if let current { headers[current.name] = current }
        }
        for line in text.split(separator: "\n") {
            if line.hasPrefix("Name: ") {
                flush()
                current = IPSetHeader(name: String(line.dropFirst("Name: ".count)))
            } else if line.hasPrefix("Type: ") {
                current?.type = String(line.dropFirst("Type: ".count))
            } else if line.hasPrefix("Header: ") {
                let words = line.split(separator: " ")
                if let index = words.firstIndex(of: "family"), index + 1 < words.count {
                    current?.family = words[index + 1] == "inet" ? .ipv4 : words[index + 1] == "inet6" ? .ipv6 : nil
                }
            } else if line.hasPrefix("References: ") {
                current?.references = Int(line.dropFirst("References: ".count)) ?? 0
            } else if line.hasPrefix("Number of entries: ") {
                current?.entries = Int(line.dropFirst("Number of entries: ".count)) ?? 0
            }
        }
        flush()
        return headers
    }
}

/// What the kernel holds of the ipset backend's objects in one namespace: the filter table of
/// each family (dispatcher, generation chains, jumps) and every set's header.
struct IPSetKernelView {
    var tables: [IPAddressFamily: IPTablesState]
    var sets: [String: IPSetHeader]

    /// The live generation of each family (see ``IPTablesState/liveGeneration``).
    func liveGeneration(_ family: IPAddressFamily) -> String? { tables[family]?.liveGeneration }
}

/// The plan records kept as entry comments of the `geofilter-meta` set: the last completed
/// apply (`record`, entry 127.0.0.0/8) and, while an apply is under way or after it was
/// killed, the plan it installs (`pending`, entry 126.0.0.0/8). Both are written together by
/// filling a temporary set and swapping it in, so the pair changes atomically.
struct IPSetRecords {
    var record: PlanRecord?
    var pending: PlanRecord?

    static let recordEntry = IPv4Network(masking: IPv4Address(0x7F00_0000), prefixLength: 8)
    static let pendingEntry = IPv4Network(masking: IPv4Address(0x7E00_0000), prefixLength: 8)

    /// Parses `ipset save META` output.
    init(saved text: String) {
        for line in text.split(separator: "\n") where line.hasPrefix("add ") {
            let fields = line.split(separator: " ", maxSplits: 3)
            guard fields.count == 4, let start = line.firstRange(of: "comment \"") else { continue }
            let comment = String(line[start.upperBound...].dropLast(line.hasSuffix("\"") ? 1 : 0))
            if fields[2].hasPrefix("126.") { pending = PlanRecord(parsing: comment) } else { record = PlanRecord(parsing: comment) }
        }
    }

    init(record: PlanRecord?, pending: PlanRecord?) {
        self.record = record
        self.pending = pending
    }
}

extension PlanRecord {
    /// The ipset backend's generation of the plan's chain and sets (`""`: the names before
    /// generations).
    var generation: String { extras["g"] ?? "" }
}
