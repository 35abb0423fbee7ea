internal import Foundation
internal import Synchronization

/// Downloads country data, checks it, and keeps the last good copy in a ``DataCache``: the
/// host decides when (see ``UpdateSchedule``), the updater does the rest.
///
/// An update sends the cached files' validators (ETag, Last-Modified), so an unchanged source
/// costs a 304; checks the checksums a source publishes (RIR `.md5`, MaxMind `.sha256`);
/// retries timeouts, connection failures and HTTP 5xx with back-off; parses the files
/// completely; refuses data that lost more than the configured share of the previous copy's
/// addresses or countries; and only then replaces the cached copy, atomically. Any failure
/// leaves the previous copy as it was.
public struct DataUpdater: Sendable {
    /// Where the last good copy is kept.
    public var cache: DataCache
    /// Timeouts, retries and the validation limits.
    public var configuration: UpdateConfiguration

    public init(cacheDirectory: String, configuration: UpdateConfiguration = UpdateConfiguration()) {
        cache = DataCache(directory: cacheDirectory)
        self.configuration = configuration
    }

    /// Runs an update on the calling thread (it blocks while downloading and parsing) and
    /// reports its events, in order, to `progress`; the last one is ``UpdateEvent/finished(_:)``.
    ///
    /// - Parameter isCancelled: polled while downloading and between steps; true stops the
    ///   update with an error and leaves the cache as it was.
    /// - Throws: ``GeoFilterError`` saying what failed (the URL, the HTTP status, the file and
    ///   line of a malformed row, the validation that refused the data).
    public func run(
        _ source: UpdateSource, progress: @escaping (UpdateEvent) -> Void = { _ in }, isCancelled: @escaping () -> Bool = { false }
    ) throws(GeoFilterError) -> UpdateResult {
        try cache.prepare()
        let now = Int64(Date().timeIntervalSince1970)
        // An unusable cache is neither a baseline nor a source of validators.
        var previous = try? cache.manifest()
        var baseline: UpdateFigures?
        if let manifest = previous {
            if (try? cache.load(manifest)) != nil { baseline = manifest.figures } else { previous = nil }
        }
        var downloads: [Download] = []
        defer { for download in downloads { if let path = download.temporaryPath { unlink(path) } } }
        var session = FetchSession(updater: self, source: source, progress: progress, isCancelled: isCancelled)
        for remote in source.files {
            downloads.append(try session.fetch(remote, cached: cachedFile(for: remote, in: previous)))
        }
        // Unchanged: every file is the cached one, and the cached copy was built from exactly
        // these files (not from a source with more or other files).
        if let previous, downloads.allSatisfy({ $0.temporaryPath == nil }),
            Set(previous.files.map(\.url)) == Set(downloads.map(\.file.url))
        {
            var manifest = previous
            manifest.checkedAt = now
            manifest.files = downloads.map(\.file)
            try cache.write(manifest)
            let result = UpdateResult(outcome: .unchanged, manifest: manifest)
            progress(.finished(result))
            return result
        }
        if isCancelled() { throw Self.cancelled }
        let database = try build(source, downloads: downloads, progress: progress)
        let figures = UpdateFigures(database)
        try validate(figures, against: baseline)
        progress(.validated(figures))
        let manifest = try cache.commit(
            database, downloads: downloads.map { ($0.file, $0.temporaryPath) }, source: source.description, figures: figures, fetchedAt: now)
        downloads.removeAll()  // moved into the cache
        let result = UpdateResult(outcome: .updated, manifest: manifest)
        progress(.finished(result))
        return result
    }

    /// The update as an asynchronous sequence of events, run on a thread of its own; the last
    /// event is ``UpdateEvent/finished(_:)``, or the sequence throws a ``GeoFilterError``.
    /// Ending the iteration early cancels the update (the cache stays as it was).
    public func updates(_ source: UpdateSource) -> AsyncThrowingStream<UpdateEvent, any Error> {
        AsyncThrowingStream { continuation in
            let flag = CancellationFlag()
            continuation.onTermination = { _ in flag.cancel() }
            let thread = Thread {
                do {
                    _ = try self.run(source, progress: { continuation.yield($0) }, isCancelled: { flag.isCancelled })
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            thread.start()
        }
    }

    /// Runs ``updates(_:)`` to its end and returns the result.
    public func update(_ source: UpdateSource, progress: @Sendable (UpdateEvent) -> Void = { _ in }) async throws -> UpdateResult {
        for try await event in updates(source) {
            progress(event)
            if case .finished(let result) = event { return result }
        }
        throw Self.cancelled
    }

    static let cancelled = GeoFilterError(.cancelled, "the update was cancelled; the cache is unchanged")

    // MARK: Steps

    /// The cached download of a file (same URL or one of its fallbacks), when its bytes are intact.
    private func cachedFile(for remote: UpdateSource.RemoteFile, in manifest: CacheManifest?) -> CacheManifest.File? {
        guard let file = manifest?.files.first(where: { $0.url == remote.url || remote.fallbacks.contains($0.url) }),
            let bytes = try? InputFile.contents(of: "\(cache.downloadsDirectory)/\(file.name)", decompressing: false),
            SHA256.hex(SHA256.hash(bytes)) == file.sha256
        else { return nil }
        return file
    }

    /// Parses the files (new downloads and unchanged cached ones) as the source's format.
    private func build(_ source: UpdateSource, downloads: [Download], progress: @escaping (UpdateEvent) -> Void) throws(GeoFilterError) -> GeoDatabase {
        let work = try AtomicFile.temporaryDirectory(in: cache.directory, named: "build")
        defer { AtomicFile.removeTree(work) }
        var names: [String: String] = [:]  // path in the work directory -> URL, for error messages
        var paths: [String] = []
        var geoLite2Directory: String?
        for download in downloads {
            let local = download.temporaryPath ?? "\(cache.downloadsDirectory)/\(download.file.name)"
            switch source.format {
            case .geoLite2CSV:
                let members = try ArchiveReader.zipMembers(try InputFile.contents(of: local, decompressing: false), limit: configuration.parseOptions.maximumDecompressedBytes) {
                    $0.hasSuffix("-Blocks-IPv4.csv") || $0.hasSuffix("-Blocks-IPv6.csv") || $0.hasSuffix("-Locations-en.csv")
                }
                let folder = UpdateSource.fileName(of: members.first?.path ?? "GeoLite2-Country-CSV")
                geoLite2Directory = "\(work)/\(folder)"
                for (member, _) in members {
                    let path = "\(work)/\(folder)/\(member.name)"
                    try write(member.bytes, to: path)
                    names[path] = "\(download.file.url)#\(member.name)"
                }
            case .ipdeny where download.name.hasSuffix(".tar.gz") || download.name.hasSuffix(".tgz"):
                let archive = try Inflater.inflateAll(try InputFile.contents(of: local, decompressing: false), limit: configuration.parseOptions.maximumDecompressedBytes)
                let folder = download.name.hasPrefix("ipv6") ? "ipv6" : "ipv4"
                for member in try ArchiveReader.tarMembers(archive, accept: Self.isZoneName) {
                    let path = "\(work)/\(folder)/\(member.name)"
                    try write(member.bytes, to: path)
                    names[path] = "\(download.file.url)#\(member.name)"
                }
            default:
                let path = "\(work)/\(download.name)"
                try AtomicFile.makeDirectory(AtomicFile.directoryOf(path))
                guard symlink(local.hasPrefix("/") ? local : FileManager.default.currentDirectoryPath + "/" + local, path) == 0 else {
                    throw GeoFilterError.system(.file, "cannot link \(path)", errno: errno)
                }
                names[path] = download.file.url
                paths.append(path)
            }
        }
        let dataSource: DataSource =
            switch source.format {
            case .dbipCSV: .dbipCSV(path: paths[0])
            case .geoLite2CSV: .geoLite2CSV(directory: geoLite2Directory ?? work, country: source.geoLite2Choice)
            case .rir: .rir(paths: paths)
            case .ipdeny: .ipdeny(directory: work)
            case .ipfire: .ipfire(ipv4: paths[0], ipv6: paths.count > 1 ? paths[1] : nil)
            case .snapshot: .snapshot(path: paths[0])
            }
        do {
            let database = try GeoDatabase.load(dataSource, options: configuration.parseOptions) { progress(.parsed(rows: $0)) }
            progress(.parsed(rows: database.report.rows))
            return database
        } catch {
            // Name the URL, not the temporary file.
            var mapped = error
            if let location = error.location {
                mapped.location?.path = names[location.path] ?? names.first { location.path.hasPrefix($0.key) }?.value ?? location.path
            }
            mapped.message = "the downloaded data is not valid: " + error.message
            throw mapped
        }
    }

    private func write(_ bytes: [UInt8], to path: String) throws(GeoFilterError) {
        try AtomicFile.makeDirectory(AtomicFile.directoryOf(path))
        try AtomicFile.write(bytes, to: path)
    }

    /// ipdeny member names: `cc.zone` or `cc-aggregated.zone`.
    static func isZoneName(_ name: String) -> Bool {
        let stem = name.hasSuffix("-aggregated.zone") ? name.dropLast(16) : name.hasSuffix(".zone") ? name.dropLast(5) : ""
        return stem.count == 2 && stem.allSatisfy { $0.isASCII && $0.isLowercase }
    }

    /// Refuses data that lost too much of the previous copy's coverage.
    func validate(_ figures: UpdateFigures, against previous: UpdateFigures?) throws(GeoFilterError) {
        guard figures.ipv4Ranges + figures.ipv6Ranges > 0 else {
            throw GeoFilterError(.invalidInput, "refused: the new data assigns no address to any country; the last good copy stays in use")
        }
        guard let previous else { return }
        func check(_ old: Double, _ new: Double, _ family: String) throws(GeoFilterError) {
            guard old > 0 else { return }
            let loss = 1 - new / old
            if loss > configuration.maximumCoverageLoss {
                throw GeoFilterError(
                    .invalidInput,
                    "refused: the new data covers \(Self.percent(loss)) fewer \(family) addresses than the last good copy (the limit is \(Self.percent(configuration.maximumCoverageLoss))); the last good copy stays in use")
            }
        }
        try check(Double(previous.ipv4Addresses), Double(figures.ipv4Addresses), "IPv4")
        try check(previous.ipv6Addresses, figures.ipv6Addresses, "IPv6")
        let lost = Set(previous.countries).subtracting(figures.countries).sorted()
        if !previous.countries.isEmpty, Double(lost.count) / Double(previous.countries.count) > configuration.maximumCountryLoss {
            throw GeoFilterError(
                .invalidInput,
                "refused: the new data lost \(lost.count) of \(previous.countries.count) countries (\(lost.prefix(12).joined(separator: " "))\(lost.count > 12 ? " ..." : "")), more than \(Self.percent(configuration.maximumCountryLoss)); the last good copy stays in use")
        }
    }

    private static func percent(_ share: Double) -> String {
        "\((share * 1000).rounded() / 10)%"
    }
}

/// One file of an update: its manifest entry and, when it was downloaded anew, the temporary
/// file holding it (nil: the cached copy is current).
struct Download {
    var file: CacheManifest.File
    var temporaryPath: String?
    /// Where the file is placed to be read (`ipv4/cn.zone`: in a folder).
    var name: String
}
