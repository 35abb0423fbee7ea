import ArgumentParser
import Foundation
import GeoFilterCore

extension GeoFilterDemo {
    /// `snapshot --source SPEC --output FILE`: write a compact snapshot of a source.
    struct Snapshot: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a GeoFilter snapshot of a data source (the bundled database's format).")

        @OptionGroup var data: SourceOptions

        @Option(name: .long, help: "The snapshot file to write.")
        var output: String

        func run() throws {
            try reportingErrors { () throws(GeoFilterError) in
                let database = try data.load()
                let bytes = try GeoSnapshot.encode(database)
                do {
                    try Data(bytes).write(to: URL(fileURLWithPath: output), options: .atomic)
                } catch {
                    throw GeoFilterError(.file, "cannot write the snapshot: \(error.localizedDescription)", location: .init(path: output))
                }
                try FileOutput.standardError.write(
                    "wrote \(output): \(bytes.count) bytes, \(database.segmentCount(.ipv4)) IPv4 and \(database.segmentCount(.ipv6)) IPv6 segments, \(database.report.rows) rows\n")
            }
        }
    }
}
