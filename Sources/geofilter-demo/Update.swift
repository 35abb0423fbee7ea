import ArgumentParser
import Foundation
import GeoFilterCore

extension GeoFilterDemo {
    /// `update --source SPEC --cache DIR` and `update --show --cache DIR`.
    struct Update: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download country data, validate it and keep it as the cache's last good copy.",
            discussion: """
                SPEC: dbip-lite[:YYYY-MM] | geolite2[:registered|represented] (credentials: --credentials or \
                GEOFILTER_MAXMIND_CREDENTIALS=ACCOUNT_ID:LICENCE_KEY) | rir[:arin,ripencc,...] | ipdeny[:cc,...] | \
                FORMAT:URL[,URL...] with FORMAT dbip-csv, geolite2-csv, rir, ipdeny, ipfire or snapshot.
                A second update sends the cached validators (ETag, Last-Modified). A failed or refused update \
                leaves the last good copy in use. Progress goes to standard error (a bar on a terminal).
                """)

        @Option(name: .long, help: ArgumentHelp("What to download (see below).", valueName: "SPEC"))
        var source: String?

        @Option(name: .long, help: ArgumentHelp("The cache directory.", valueName: "DIR"))
        var cache: String

        @Flag(name: .long, help: "Print what the cache holds instead of updating.")
        var show = false

        @Option(name: .long, help: ArgumentHelp("MaxMind ACCOUNT_ID:LICENCE_KEY for geolite2.", valueName: "ID:KEY"))
        var credentials: String?

        @Option(name: .long, help: ArgumentHelp("Refuse data that lost more than this share of the last good copy's addresses or countries.", valueName: "PERCENT"))
        var maxLoss: Double = 5

        @Option(name: .long, help: ArgumentHelp("Retries after a timeout, a connection failure or HTTP 5xx.", valueName: "N"))
        var retries = 3

        @Option(name: .long, help: ArgumentHelp("Seconds without a byte before a transfer counts as stalled.", valueName: "SECONDS"))
        var timeout: Double = 60

        @Flag(name: .long, help: "Skip and count malformed rows instead of refusing the data.")
        var lenient = false

        func run() throws {
            try reportingErrors { () throws(GeoFilterError) in
                if show { return try showCache() }
                guard let source else { throw GeoFilterError(.invalidInput, "update needs --source SPEC (or --show)") }
                let credentials = self.credentials ?? ProcessInfo.processInfo.environment["GEOFILTER_MAXMIND_CREDENTIALS"]
                let updateSource = try UpdateSource(spec: source, credentials: credentials, now: Int64(Date().timeIntervalSince1970))
                let configuration = UpdateConfiguration(
                    timeouts: .init(stall: timeout), retries: retries, maximumCoverageLoss: maxLoss / 100, maximumCountryLoss: maxLoss / 100,
                    parseOptions: lenient ? .lenient : .strict)
                let display = ProgressDisplay(terminal: isatty(STDERR_FILENO) == 1)
                let result = try DataUpdater(cacheDirectory: cache, configuration: configuration).run(updateSource, progress: display.show)
                display.end()
                let figures = result.manifest.figures
                switch result.outcome {
                case .updated:
                    try FileOutput.standardOutput.write(
                        "updated: \(figures.ipv4Ranges) IPv4 ranges, \(figures.ipv6Ranges) IPv6 ranges, \(figures.countries.count) countries (\(result.manifest.provenance.sourceName) \(result.manifest.provenance.version ?? "undated"))\n")
                case .unchanged:
                    try FileOutput.standardOutput.write("unchanged: the cache's copy from \(Self.time(result.manifest.fetchedAt)) is current\n")
                }
            }
        }

        private func showCache() throws(GeoFilterError) {
            let cache = DataCache(directory: self.cache)
            guard let manifest = try cache.manifest() else {
                try FileOutput.standardOutput.write("the cache \(self.cache) is empty; lookups use the bundled database\n")
                return
            }
            let usable: String
            do {
                _ = try cache.loadLastGood()
                usable = "yes"
            } catch {
                usable = "no (\(error.message)); lookups use the bundled database"
            }
            let next = UpdateSchedule.weekly.nextRun(lastSuccess: manifest.checkedAt, now: Int64(Date().timeIntervalSince1970))
            var lines = [
                "source:      \(manifest.source)",
                "data:        \(manifest.provenance.sourceName) \(manifest.provenance.version ?? "(undated)"), \(manifest.provenance.licence)",
                "fetched:     \(Self.time(manifest.fetchedAt))",
                "checked:     \(Self.time(manifest.checkedAt))",
                "next due:    \(Self.time(next)) (weekly, Sunday 03:00 UTC)",
                "ranges:      \(manifest.figures.ipv4Ranges) IPv4, \(manifest.figures.ipv6Ranges) IPv6; \(manifest.figures.ipv4Addresses) IPv4 addresses",
                "countries:   \(manifest.figures.countries.count)",
                "snapshot:    \(manifest.snapshot) sha256:\(manifest.snapshotSHA256)",
                "usable:      \(usable)",
            ]
            for file in manifest.files {
                lines.append("file:        \(file.url) (\(file.bytes) bytes\(file.etag.map { ", ETag \($0)" } ?? "")\(file.lastModified.map { ", Last-Modified \($0)" } ?? ""))")
            }
            try FileOutput.standardOutput.write(lines.joined(separator: "\n") + "\n")
        }

        static func time(_ seconds: Int64) -> String {
            let formatter = ISO8601DateFormatter()
            return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
        }
    }
}

/// Shows update events: a one-line bar redrawn on a terminal, plain lines otherwise.
final class ProgressDisplay: @unchecked Sendable {
    private let terminal: Bool
    private var drawn = false

    init(terminal: Bool) { self.terminal = terminal }

    func show(_ event: UpdateEvent) {
        switch event {
        case .receiving(let url, let received, let total):
            guard terminal else { return }
            let name = url.split(separator: "/").last.map(String.init) ?? url
            let text: String
            if let total, total > 0 {
                let share = Double(received) / Double(total)
                let filled = Int(share * 30)
                text = "[\(String(repeating: "#", count: filled))\(String(repeating: " ", count: 30 - filled))] \(Int(share * 100))% \(Self.mebibytes(received))/\(Self.mebibytes(total)) \(name)"
            } else {
                text = "\(Self.mebibytes(received)) \(name)"
            }
            write("\r\u{1B}[K" + text)
            drawn = true
        case .requesting(let url, let conditional): line("requesting \(url)\(conditional ? " (conditional)" : "")")
        case .notModified(let url): line("not modified: \(url)")
        case .downloaded(let url, let bytes): line("downloaded \(url) (\(bytes) bytes)")
        case .retrying(let url, let attempt, let delay, let reason): line("retry \(attempt) of \(url) in \(delay) s: \(reason)")
        case .checksumVerified(let url, let algorithm): line("\(algorithm) verified: \(url)")
        case .parsed(let rows):
            if terminal {
                write("\r\u{1B}[Kparsed \(rows) rows")
                drawn = true
            } else {
                line("parsed \(rows) rows")
            }
        case .validated(let figures): line("validated: \(figures.ipv4Ranges) IPv4 ranges, \(figures.ipv6Ranges) IPv6 ranges, \(figures.countries.count) countries")
        case .finished(let result): line("finished: \(result.outcome.rawValue)")
        }
    }

    /// Ends a bar left on the screen.
    func end() {
        if drawn { write("\n") }
        drawn = false
    }

    private func line(_ text: String) {
        if drawn { write("\n") }
        drawn = false
        write(text + "\n")
    }

    private func write(_ text: String) { try? FileOutput.standardError.write(text) }

    private static func mebibytes(_ bytes: UInt64) -> String {
        "\((Double(bytes) / 1_048_576 * 10).rounded() / 10) MiB"
    }
}
