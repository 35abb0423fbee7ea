import ArgumentParser
import GeoFilterCore

extension GeoFilterDemo {
    /// `lookup [--source SPEC] [--json] IP... | - | --file FILE`: the country of each address.
    struct Lookup: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the country of each address and the largest network around it with the same answer.",
            discussion: """
                One line per address: IP<TAB>CC<TAB>NETWORK; CC and NETWORK are '-' when the data has no \
                country for it. With --json, a JSON array with one {"ip","country","network"} object per \
                line (null when unknown). Addresses come from the arguments, and from files or standard \
                input ('-'): one per line, '#' comments and blank lines allowed, as aggregate reads them.
                """)

        @OptionGroup var data: SourceOptions

        @Flag(name: .long, help: "Write a JSON array, one object per line.")
        var json = false

        @Option(name: .long, help: ArgumentHelp("Read addresses from this file, one per line ('-': standard input; repeatable).", valueName: "FILE"))
        var file: [String] = []

        @Argument(help: "IPv4 or IPv6 addresses; '-' reads them from standard input.")
        var addresses: [String] = []

        func validate() throws {
            guard !addresses.isEmpty || !file.isEmpty else {
                throw ValidationError("Give addresses, '-' for standard input, or --file FILE.")
            }
        }

        func run() throws {
            try reportingErrors { () throws(GeoFilterError) in
                let database = try data.load()
                var lookup = BulkLookup(database: database, style: json ? .json : .text) { chunk throws(GeoFilterError) in
                    try FileOutput.standardOutput.write(chunk)
                }
                for address in addresses {
                    if address == "-" { try lookup.lookUp(path: "-") } else { try lookup.lookUp(address) }
                }
                for path in file { try lookup.lookUp(path: path) }
                try lookup.finish()
            }
        }
    }
}
