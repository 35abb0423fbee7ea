internal import Foundation

/// Runs `iptables-restore` / `iptables-save` (and the ip6tables twins) in a network namespace:
/// the one place GeoFilter starts a subprocess, because the rules that reference ipset sets are
/// installed atomically only by the restore tools.
struct IPTablesTool: Sendable {
    let namespace: NetworkNamespace

    /// Where the tools are looked for after `PATH` (root's tools live in sbin).
    private static let fallbackDirectories = ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]

    /// The absolute path of a program, or nil.
    static func locate(_ program: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"]?.split(separator: ":").map(String.init) ?? []
        return (path + fallbackDirectories).lazy.map { "\($0)/\(program)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    private static func toolName(_ family: IPAddressFamily, _ verb: String) -> String {
        (family == .ipv4 ? "iptables-" : "ip6tables-") + verb
    }

    /// Applies `script` with `iptables-restore --noflush` (one atomic commit per family).
    func restore(_ family: IPAddressFamily, _ script: String) throws(GeoFilterError) {
        _ = try run(Self.toolName(family, "restore"), ["--noflush", "--wait", "10"], input: script)
    }

    /// Every table as `iptables-save -c` prints it (`-t filter` would print an empty filter
    /// table even where none exists).
    func save(_ family: IPAddressFamily) throws(GeoFilterError) -> String {
        try run(Self.toolName(family, "save"), ["-c"], input: nil)
    }

    /// Whether the tools drive nf_tables (iptables-nft) rather than the legacy x_tables.
    func usesNftables() throws(GeoFilterError) -> Bool {
        try run(Self.toolName(.ipv4, "restore"), ["--version"], input: nil).contains("nf_tables")
    }

    private func run(_ program: String, _ arguments: [String], input: String?) throws(GeoFilterError) -> String {
        guard let tool = Self.locate(program) else {
            throw GeoFilterError(.unsupported, "\(program) is not installed (Debian: apt-get install iptables)")
        }
        var executable = tool
        var fullArguments = arguments
        if let path = namespace.path {
            guard let nsenter = Self.locate("nsenter") else {
                throw GeoFilterError(.unsupported, "nsenter is not installed (Debian: apt-get install util-linux)")
            }
            executable = nsenter
            fullArguments = ["--net=\(path)", "--", tool] + arguments
        }
        let result = try ProgramRunner.run(executable, fullArguments, input: input)
        guard result.status == 0 else {
            let text = result.errors.trimmingCharacters(in: .whitespacesAndNewlines)
            // The tools report only an exit status (4: a resource problem, which a missing
            // privilege is too) and text; their text is the one hint of a missing privilege.
            let code: GeoFilterError.Code = text.contains("Permission denied") || text.contains("not permitted") ? .permission : .program
            throw GeoFilterError(code, "\(program) failed (exit \(result.status)): \(text)")
        }
        return result.output
    }
}
