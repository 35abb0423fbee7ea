internal import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A directory that keeps one ``EnforcementState``, so a plan can be enforced again at boot
/// (`restore`) with no download and no recompilation from data sources.
///
/// Layout:
/// ```
/// DIR/state.json            the manifest: format, digest, backend, the policy, the snapshot's
///                           name and SHA-256 (written last: the commit point)
/// DIR/data-HASH.gfsnap      the country data the plan was compiled from (GeoSnapshot)
/// DIR/policy.json           a copy of the policy alone (GeoPolicy's JSON, as --policy-file
///                           reads it): the fallback when state.json is lost
/// ```
/// ``save(_:)`` writes the snapshot under a new name, then the manifest, then the policy copy,
/// each as a temporary file that is synced and renamed (then the directory synced), and deletes the
/// previous snapshot only after that: a process killed at any point leaves the previous state
/// or the new one, never a mix.
public struct EnforcementStateStore: Sendable {
    /// The directory.
    public let directory: String

    /// The largest manifest read: the policy is its only variable part.
    static let manifestLimit = GeoPolicy.fileSizeLimit + 65536
    /// The largest snapshot read.
    static let snapshotLimit = 1 << 30

    public init(directory: String) {
        self.directory = directory
    }

    /// `DIR/state.json`.
    public var manifestPath: String { "\(directory)/state.json" }
    /// `DIR/policy.json`.
    public var policyPath: String { "\(directory)/policy.json" }
    /// The addresses the policy's host names resolved to when it was applied (the policy JSON
    /// holds the names only): at boot, before the network is up, no lookup is possible.
    public var namesPath: String { "\(directory)/names.json" }

    struct Manifest: Codable {
        var format: Int
        var digest: String
        var backend: String
        var backendSettings: [String: String]
        var allowBroadExemptions: Bool
        var storedAt: Int64
        var data: String
        var snapshot: String
        var snapshotSHA256: String
        var policy: GeoPolicy
        /// The resolved host names (absent in states stored before names existed).
        var names: ResolvedNames?
        /// When the data was generated (absent when undated or stored by an older version).
        var dataGeneratedAt: Int64?

        /// The policy with its resolved names attached.
        var resolvedPolicy: GeoPolicy {
            var policy = policy
            if let names { policy.resolvedNames = names }
            return policy
        }
    }

    /// Stores `state`, replacing what the directory held (created if needed).
    ///
    /// - Throws: ``GeoFilterError`` (`.file`) when a file cannot be written; the previous state
    ///   is then still complete.
    public func save(_ state: EnforcementState) throws(GeoFilterError) {
        try TrustedDirectory.prepare(directory)
        AtomicFile.removeTemporaries(in: directory)
        let hash = SHA256.hex(SHA256.hash(state.snapshot))
        let snapshot = "data-\(hash.prefix(16)).gfsnap"
        let snapshotPath = "\(directory)/\(snapshot)"
        if (try? RegularFile.read(snapshotPath, limit: Self.snapshotLimit)).map({ SHA256.hex(SHA256.hash($0)) }) != hash {
            try AtomicFile.write(state.snapshot, to: snapshotPath)
        }
        let manifest = Manifest(
            format: 1, digest: state.digest, backend: state.backend, backendSettings: state.backendSettings,
            allowBroadExemptions: state.allowBroadExemptions, storedAt: state.storedAt, data: state.dataDescription,
            snapshot: snapshot, snapshotSHA256: hash, policy: state.policy, names: state.policy.resolvedNames,
            dataGeneratedAt: state.dataGeneratedAt)
        try AtomicFile.write(Self.encode(manifest, what: "state manifest"), to: manifestPath)
        try AtomicFile.write(Self.encode(state.policy, what: "policy"), to: policyPath)
        try state.policy.resolvedNames.write(to: namesPath)
        for name in AtomicFile.entries(of: directory) where name.hasPrefix("data-") && name.hasSuffix(".gfsnap") && name != snapshot {
            unlink("\(directory)/\(name)")
        }
        AtomicFile.syncDirectory(directory)
    }

    /// The stored state, or nil when the directory holds none (no `state.json`).
    ///
    /// - Throws: ``GeoFilterError`` naming the file when the manifest or the snapshot is
    ///   corrupt, missing or does not match.
    public func load() throws(GeoFilterError) -> EnforcementState? {
        if access(directory, F_OK) == 0 { try TrustedDirectory.check(directory) }
        guard let manifest = try manifest() else { return nil }
        return try state(manifest)
    }

    /// The digest of the stored state, or nil when there is none or it cannot be read.
    public func storedDigest() -> String? { (try? manifest())??.digest }

    /// What a stored state is, without its data: for status displays.
    public struct Summary: Sendable, Hashable, Codable {
        /// The plan's digest.
        public var digest: String
        /// When it was applied and stored (seconds since 1970).
        public var appliedAt: Int64
        /// The data's source and version (`IPFire Location 2025-11-20`).
        public var data: String
        /// When the data was generated (seconds since 1970), when known.
        public var dataGeneratedAt: Int64?
    }

    /// The stored state's digest, time and data, read from its manifest only; nil when there is
    /// none or it cannot be read.
    public func summary() -> Summary? {
        guard let manifest = (try? manifest()) ?? nil else { return nil }
        return Summary(digest: manifest.digest, appliedAt: manifest.storedAt, data: manifest.data, dataGeneratedAt: manifest.dataGeneratedAt)
    }

    /// What `restore` enforces: the stored state, or, when its files are missing or corrupt,
    /// the stored policy with the bundled data (``fallback`` says why, in one sentence).
    ///
    /// - Throws: ``GeoFilterError`` when neither a state nor a readable policy is stored, or the
    ///   bundled data is not available.
    public func loadForRestore() throws(GeoFilterError) -> Restorable {
        // A state another user could have written decides nothing (not even the fallback).
        if access(directory, F_OK) == 0 { try TrustedDirectory.check(directory) }
        guard access(manifestPath, F_OK) == 0 else {
            guard access(policyPath, F_OK) == 0 else {
                throw GeoFilterError(
                    .file, "\(directory) holds no stored state (no state.json, no policy.json); apply a policy with --state \(directory) first")
            }
            return try fallback("the state file \(manifestPath) is missing")
        }
        let manifest: Manifest
        do {
            guard let stored = try self.manifest() else { return try fallback("the state file \(manifestPath) is missing") }
            manifest = stored
        } catch {
            return try fallback("the state file \(manifestPath) is unusable (\(error.message))")
        }
        do {
            let state = try self.state(manifest)
            return Restorable(
                policy: state.policy, allowBroadExemptions: state.allowBroadExemptions, database: try state.database(),
                storedDigest: state.digest, backend: state.backend, backendSettings: state.backendSettings, fallback: nil)
        } catch {
            let reason = "the stored data \(directory)/\(manifest.snapshot) is unusable (\(error.message))"
            return Restorable(
                policy: manifest.resolvedPolicy, allowBroadExemptions: manifest.allowBroadExemptions, database: try GeoDatabase.load(.bundled),
                storedDigest: manifest.digest, backend: manifest.backend, backendSettings: manifest.backendSettings,
                fallback: "\(reason); restoring the stored policy with the bundled data")
        }
    }

    /// Deletes the stored state.
    public func remove() {
        for name in ["state.json", "policy.json", "names.json"] { unlink("\(directory)/\(name)") }
        for name in AtomicFile.entries(of: directory) where name.hasPrefix("data-") || name.hasPrefix(AtomicFile.temporaryPrefix) {
            AtomicFile.removeTree("\(directory)/\(name)")
        }
        rmdir(directory)
    }

    private func fallback(_ reason: String) throws(GeoFilterError) -> Restorable {
        // The policy was accepted when it was stored, broad exemptions included.
        var policy = try GeoPolicy.load(path: policyPath)
        policy.resolvedNames = (try? ResolvedNames.loadIfPresent(path: namesPath)) ?? ResolvedNames()
        return Restorable(
            policy: policy, allowBroadExemptions: true, database: try GeoDatabase.load(.bundled), storedDigest: nil, backend: nil,
            backendSettings: [:], fallback: "\(reason); restoring \(policyPath) with the bundled data")
    }

    func manifest() throws(GeoFilterError) -> Manifest? {
        guard access(manifestPath, F_OK) == 0 else { return nil }
        let bytes = try RegularFile.read(manifestPath, limit: Self.manifestLimit)
        let manifest: Manifest
        do { manifest = try JSONDecoder().decode(Manifest.self, from: Data(bytes)) } catch {
            throw GeoFilterError(.invalidInput, "not a GeoFilter state manifest (\(error))", location: .init(path: manifestPath))
        }
        guard manifest.format == 1 else {
            throw GeoFilterError(.unsupported, "state format \(manifest.format) is not supported (1 is)", location: .init(path: manifestPath))
        }
        guard !manifest.snapshot.contains("/"), manifest.snapshot.hasPrefix("data-") else {
            throw GeoFilterError(.invalidInput, "the state manifest names a snapshot outside its directory", location: .init(path: manifestPath))
        }
        return manifest
    }

    private func state(_ manifest: Manifest) throws(GeoFilterError) -> EnforcementState {
        let path = "\(directory)/\(manifest.snapshot)"
        let bytes = try RegularFile.read(path, limit: Self.snapshotLimit)
        guard SHA256.hex(SHA256.hash(bytes)) == manifest.snapshotSHA256 else {
            throw GeoFilterError(.invalidInput, "the stored data does not match its manifest (corrupt or replaced)", location: .init(path: path))
        }
        return EnforcementState(
            policy: manifest.resolvedPolicy, allowBroadExemptions: manifest.allowBroadExemptions, digest: manifest.digest, backend: manifest.backend,
            backendSettings: manifest.backendSettings, snapshot: bytes, storedAt: manifest.storedAt, dataDescription: manifest.data,
            dataGeneratedAt: manifest.dataGeneratedAt)
    }

    private static func encode(_ value: some Encodable, what: String) throws(GeoFilterError) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do { return Array(try encoder.encode(value)) + [10] } catch { throw GeoFilterError(.file, "cannot encode the \(what): \(error)") }
    }
}

extension EnforcementStateStore {
    /// What ``EnforcementStateStore/loadForRestore()`` found: a policy and data to compile and
    /// enforce.
    public struct Restorable: Sendable {
        public var policy: GeoPolicy
        public var allowBroadExemptions: Bool
        /// The stored data, or the bundled data when it was unusable.
        public var database: GeoDatabase
        /// The digest stored with the state (nil when the manifest was lost).
        public var storedDigest: String?
        /// The backend stored with the state (nil when the manifest was lost).
        public var backend: String?
        public var backendSettings: [String: String]
        /// Why the stored data could not be used, in one sentence; nil when it was.
        public var fallback: String?

        /// The plan to enforce.
        ///
        /// - Throws: ``GeoFilterError`` when the policy is refused.
        public func plan() throws(GeoFilterError) -> FirewallPlan {
            try FirewallPlan(policy: policy, database: database, allowBroadExemptions: allowBroadExemptions)
        }
    }
}
