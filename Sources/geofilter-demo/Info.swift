import ArgumentParser
import Foundation
import GeoFilterCore

extension GeoFilterDemo {
    /// `info [--source SPEC]`: provenance and figures of a data source.
    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show where the country data comes from, how old it is and what it holds.")

        @OptionGroup var data: SourceOptions

        @Option(name: .long, help: "Warn when the data is older than this many days.")
        var maxAge = 90

        func run() throws {
            try reportingErrors { () throws(GeoFilterError) in
                let database = try data.load()
                let provenance = database.provenance
                let report = database.report
                var lines = [
                    "source:       \(provenance.sourceName)",
                    "version:      \(provenance.version ?? "unknown")",
                    "age:          \(age(provenance))",
                    "licence:      \(provenance.licence)",
                    "attribution:  \(provenance.attribution)",
                    "rows:         \(report.rows) (ignored \(report.ignoredRows), skipped \(report.skippedRows))",
                    "networks:     \(database.networkCount(.ipv4)) IPv4, \(database.networkCount(.ipv6)) IPv6",
                    "segments:     \(database.segmentCount(.ipv4)) IPv4, \(database.segmentCount(.ipv6)) IPv6",
                    "countries:    \(database.countries.count)",
                    "other codes:  \(database.regions.filter { $0.country == nil }.map(\.code).joined(separator: " "))",
                    "conflicts:    \(report.conflictingRows) rows overlap a row of another code; \(report.duplicateRows) repeat one",
                ]
                lines += report.skippedExamples.map { "skipped:      \($0)" }
                lines += report.conflictExamples.map { "conflict:     \($0)" }
                lines += report.flaggedRows.sorted { $0.key < $1.key }.map { "flagged:      \($0.value) rows \($0.key)" }
                try FileOutput.standardOutput.write(lines.joined(separator: "\n") + "\n")
                if provenance.isStale(maximumAge: Int64(maxAge) * 86_400, now: Self.now) {
                    try FileOutput.standardError.write(
                        "geofilter-demo: warning: the data is older than \(maxAge) days (or undated); update it\n")
                }
            }
        }
    }
}

extension GeoFilterDemo.Info {
    /// Seconds since 1970, now.
    static var now: Int64 { Int64(Date().timeIntervalSince1970) }

    func age(_ provenance: DataProvenance) -> String {
        guard let generated = provenance.generatedAt else { return "unknown (the data is undated)" }
        let days = (Self.now - generated) / 86_400
        return "\(days) days" + (days > maxAge ? " (older than \(maxAge) days: stale)" : "")
    }
}
