import ArgumentParser
import GeoFilterCore

extension GeoFilterDemo {
    /// `lookup [--source SPEC] IP...`: the country of each address.
    struct Lookup: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the country of each address and the largest network around it with the same answer.",
            discussion: "One line per address: IP<TAB>CC<TAB>NETWORK; CC and NETWORK are '-' when the data has no country for it.")

        @OptionGroup var data: SourceOptions

        @Argument(help: "IPv4 or IPv6 addresses.")
        var addresses: [String]

        func run() throws {
            try reportingErrors { () throws(GeoFilterError) in
                var parsed: [IPAddress] = []
                for text in addresses {
                    do throws(IPAddressParseError) { parsed.append(try IPAddress(parsing: text)) } catch {
                        throw GeoFilterError(.invalidInput, "argument \(error)")
                    }
                }
                let database = try data.load()
                var output = ""
                for (text, address) in zip(addresses, parsed) {
                    if let found = database.lookup(address) {
                        output += "\(text)\t\(found.region)\t\(found.network)\n"
                    } else {
                        output += "\(text)\t-\t-\n"
                    }
                }
                try FileOutput.standardOutput.write(output)
            }
        }
    }
}
