import ArgumentParser
import GeoFilterCore

extension GeoFilterDemo {
    /// `aggregate [--ranges] [FILE...]`: the minimal list of an address list.
    struct Aggregate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Merge networks, ranges and addresses into the minimal list.",
            discussion: """
                Reads one network (a/len), range (a-b) or address per line, IPv4 and IPv6 \
                mixed, with '#' comments. Prints the minimal networks (IPv4 first, then IPv6, \
                ascending; a single address without /32 or /128), or with --ranges the \
                minimal ranges, as iprange does for IPv4.
                """)

        @Flag(name: .long, help: "Print the minimal ranges (first-last) instead of networks.")
        var ranges = false

        @Flag(name: .long, help: "Clear host bits of networks such as 10.1.2.3/8 instead of failing.")
        var maskHostBits = false

        @Argument(help: "Files to read; none or '-' reads standard input.")
        var files: [String] = []

        func run() throws {
            try reportingErrors { () throws(GeoFilterError) in
                try Self.aggregate(files: files, ranges: ranges, maskHostBits: maskHostBits)
            }
        }

        static func aggregate(files: [String], ranges: Bool, maskHostBits: Bool) throws(GeoFilterError) {
            let set = try CIDRListReader.read(paths: files.isEmpty ? ["-"] : files, maskingHostBits: maskHostBits)
            try set.writeList(style: ranges ? .ranges : .networks) { chunk throws(GeoFilterError) in
                try FileOutput.standardOutput.write(chunk)
            }
        }

        /// The options of a plain `aggregate [--ranges] [--mask-host-bits] [FILE...]` command
        /// line, or nil for anything else (help, unknown options), which goes through the
        /// argument parser. Skipping the parser's start-up work keeps `aggregate` as quick to
        /// start as the C tools it stands beside in scripts.
        static func plainArguments(_ arguments: [String]) -> (files: [String], ranges: Bool, maskHostBits: Bool)? {
            guard arguments.first == "aggregate" else { return nil }
            var files: [String] = []
            var ranges = false
            var maskHostBits = false
            for argument in arguments.dropFirst() {
                switch argument {
                case "--ranges": ranges = true
                case "--mask-host-bits": maskHostBits = true
                case "-": files.append(argument)
                default:
                    guard !argument.hasPrefix("-") else { return nil }
                    files.append(argument)
                }
            }
            return (files, ranges, maskHostBits)
        }
    }
}
