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
                let set = try CIDRListReader.read(
                    paths: files.isEmpty ? ["-"] : files, maskingHostBits: maskHostBits)
                try set.writeList(style: ranges ? .ranges : .networks) { chunk throws(GeoFilterError) in
                    try FileOutput.standardOutput.write(chunk)
                }
            }
        }
    }
}
