#if canImport(Glibc)
import Glibc
#endif
internal import Foundation

/// A directory holding the last good copy of the country data: `manifest.json`, the data as a
/// GeoFilter snapshot (`data-HASH.gfsnap`), and the downloaded files (`downloads/`) whose
/// validators make the next update a conditional request.
///
/// Every file is replaced atomically (temporary file, fsync, rename, fsync of the directory),
/// and the manifest, which names the snapshot, is written last: a process killed at any point
/// leaves the previous copy or the new one, never a mix.
public struct DataCache: Sendable {
    /// The cache directory.
    public let directory: String

    public init(directory: String) {
        self.directory = directory.count > 1 && directory.hasSuffix("/") ? String(directory.dropLast()) : directory
    }

    var manifestPath: String { "\(directory)/manifest.json" }
    var downloadsDirectory: String { "\(directory)/downloads" }

    /// The manifest, or nil when the cache is empty.
    ///
    /// - Throws: ``GeoFilterError`` when the manifest is unreadable or corrupt.
    public func manifest() throws(GeoFilterError) -> CacheManifest? {
        guard FileManager.default.fileExists(atPath: manifestPath) else { return nil }
        let bytes = try InputFile.contents(of: manifestPath, decompressing: false)
        let manifest: CacheManifest
        do {
            manifest = try JSONDecoder().decode(CacheManifest.self, from: Data(bytes))
        } catch {
            throw GeoFilterError(.invalidInput, "the cache manifest is corrupt: \(error)", location: .init(path: manifestPath))
        }
        guard manifest.format == CacheManifest.currentFormat else {
            throw GeoFilterError(.unsupported, "the cache manifest has format \(manifest.format); this GeoFilter reads \(CacheManifest.currentFormat)", location: .init(path: manifestPath))
        }
        return manifest
    }

    /// The last good copy, or nil when the cache is empty.
    ///
    /// - Throws: ``GeoFilterError`` when the manifest or the snapshot is corrupt or missing
    ///   (the snapshot's SHA-256 must match the manifest, and its own checksum must hold).
    public func loadLastGood() throws(GeoFilterError) -> GeoDatabase? {
        guard let manifest = try manifest() else { return nil }
        return try load(manifest)
    }

    func load(_ manifest: CacheManifest) throws(GeoFilterError) -> GeoDatabase {
        let path = "\(directory)/\(manifest.snapshot)"
        guard !manifest.snapshot.contains("/") else {
            throw GeoFilterError(.invalidInput, "the cache manifest names a snapshot outside the cache", location: .init(path: manifestPath))
        }
        let bytes = try InputFile.contents(of: path, decompressing: false)
        guard SHA256.hex(SHA256.hash(bytes)) == manifest.snapshotSHA256 else {
            throw GeoFilterError(.invalidInput, "the cached snapshot does not match its manifest (corrupt or replaced)", location: .init(path: path))
        }
        return try GeoSnapshot.decode(bytes, files: [path])
    }

    /// Where a ``DataCache/load(directory:)`` result came from.
    public enum Origin: Sendable, Hashable {
        /// The cache's last good copy.
        case cache(CacheManifest)
        /// The bundled database, because the cache is empty.
        case bundledEmptyCache
        /// The bundled database, because the cache could not be used (the reason).
        case bundledUnusableCache(String)
    }

    /// A database chosen by ``DataCache/load(directory:)`` and where it came from.
    public struct Loaded: Sendable {
        /// The data to compile plans against.
        public var database: GeoDatabase
        /// The cache's copy, or the bundled database and why.
        public var origin: Origin
    }

    /// The cache's last good copy, or the bundled database (registered by the
    /// `GeoFilterBundledData` product) when the cache is empty or unusable. Running as root, a
    /// cache directory that another user could change (owned by another user, or group or
    /// world writable, or under such a parent) is unusable.
    ///
    /// - Throws: ``GeoFilterError`` only when the bundled database cannot be loaded either.
    public static func load(directory: String) throws(GeoFilterError) -> Loaded {
        let cache = DataCache(directory: directory)
        do {
            if access(directory, F_OK) == 0 { try TrustedDirectory.check(directory) }
            if let manifest = try cache.manifest() {
                return Loaded(database: try cache.load(manifest), origin: .cache(manifest))
            }
            return Loaded(database: try BundledSnapshot.load(), origin: .bundledEmptyCache)
        } catch {
            return Loaded(database: try BundledSnapshot.load(), origin: .bundledUnusableCache(error.description))
        }
    }

    // MARK: Writing

    /// Creates the directories and removes temporaries a killed update left behind.
    func prepare() throws(GeoFilterError) {
        try TrustedDirectory.prepare(directory)
        try AtomicFile.makeDirectory(downloadsDirectory)
        AtomicFile.removeTemporaries(in: directory)
        AtomicFile.removeTemporaries(in: downloadsDirectory)
    }

    /// Makes `database` the last good copy: the snapshot, then the downloads, then the manifest
    /// (the commit point); then deletes files no manifest names any more.
    func commit(
        _ database: GeoDatabase, downloads: [(file: CacheManifest.File, temporaryPath: String?)], source: String,
        figures: UpdateFigures, fetchedAt: Int64
    ) throws(GeoFilterError) -> CacheManifest {
        let bytes = try GeoSnapshot.encode(database)
        let digest = SHA256.hex(SHA256.hash(bytes))
        let snapshot = "data-\(digest.prefix(16)).gfsnap"
        try AtomicFile.write(bytes, to: "\(directory)/\(snapshot)")
        for download in downloads {
            guard let temporary = download.temporaryPath else { continue }
            try AtomicFile.move(temporary, to: "\(downloadsDirectory)/\(download.file.name)")
        }
        let manifest = CacheManifest(
            format: CacheManifest.currentFormat, source: source, provenance: database.provenance, fetchedAt: fetchedAt,
            checkedAt: fetchedAt, files: downloads.map(\.file), figures: figures, snapshot: snapshot, snapshotSHA256: digest)
        try write(manifest)
        for name in AtomicFile.entries(of: directory) where name.hasPrefix("data-") && name != snapshot {
            unlink("\(directory)/\(name)")
        }
        let kept = Set(manifest.files.map(\.name))
        for name in AtomicFile.entries(of: downloadsDirectory) where !kept.contains(name) {
            unlink("\(downloadsDirectory)/\(name)")
        }
        AtomicFile.syncDirectory(directory)
        return manifest
    }

    /// Replaces the manifest atomically.
    func write(_ manifest: CacheManifest) throws(GeoFilterError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data: Data
        do { data = try encoder.encode(manifest) } catch { throw GeoFilterError(.file, "cannot encode the cache manifest: \(error)") }
        try AtomicFile.write(Array(data) + [10], to: manifestPath)
    }
}
