internal import Foundation

/// What the names of a policy resolved to: per name, the addresses in force, when they were
/// resolved, and whether the last attempt failed (the previous addresses are then kept).
///
/// It is both the result of ``GeoPolicy/resolvingNames(using:previous:now:)`` and the cache a
/// host passes back in on the next resolution: a name that fails to resolve keeps the addresses
/// of its last good resolution, and says so (``Entry/failure``). Keep it in memory between
/// timer runs, or on disk with ``write(to:)`` and ``load(path:)`` (a small JSON file).
public struct ResolvedNames: Sendable, Hashable, Codable {
    /// One name's result.
    public struct Entry: Sendable, Hashable, Codable {
        /// The name looked up.
        public var name: HostEntry
        /// The addresses in force, sorted: those of the last successful resolution.
        public var addresses: [IPAddress]
        /// For an SRV service: the targets (`sip1.example.net:5060`) of the last successful
        /// resolution, in priority order.
        public var targets: [String]
        /// The CNAME chain followed in the last successful resolution, if any (each name a
        /// CNAME points to, in order).
        public var aliases: [String]
        /// When ``addresses`` were resolved (seconds since 1970), nil when never.
        public var resolvedAt: Int64?
        /// The smallest time to live of the records behind ``addresses``, in seconds.
        public var ttl: UInt32?
        /// Why the last attempt failed, when it did; ``addresses`` are then the previous ones
        /// (or none, when the name never resolved).
        public var failure: String?
        /// When the last attempt failed (seconds since 1970).
        public var failedAt: Int64?

        public init(
            name: HostEntry, addresses: [IPAddress], targets: [String] = [], aliases: [String] = [], resolvedAt: Int64?,
            ttl: UInt32? = nil, failure: String? = nil, failedAt: Int64? = nil
        ) {
            self.name = name
            self.addresses = addresses.sorted()
            self.targets = targets
            self.aliases = aliases
            self.resolvedAt = resolvedAt
            self.ttl = ttl
            self.failure = failure
            self.failedAt = failedAt
        }

        /// Where this result stands.
        public enum Status: String, Sendable, Hashable {
            /// The last attempt succeeded.
            case resolved
            /// The last attempt failed; the addresses are those of an earlier success.
            case kept
            /// The name has never resolved: no address passes for it.
            case unresolved
        }

        public var status: Status {
            if failure == nil && resolvedAt != nil { return .resolved }
            return resolvedAt != nil ? .kept : .unresolved
        }

        /// `192.0.2.10, 2001:db8::10`, or `(none)`.
        public var addressText: String {
            addresses.isEmpty ? "(none)" : addresses.map(\.description).joined(separator: ", ")
        }
    }

    /// The entries, sorted by name.
    public private(set) var entries: [Entry]

    public init(_ entries: [Entry] = []) {
        var byName: [HostEntry: Entry] = [:]
        for entry in entries { byName[entry.name] = entry }
        self.entries = byName.values.sorted { $0.name < $1.name }
    }

    /// The result for a name, if it was ever attempted.
    public subscript(_ name: HostEntry) -> Entry? {
        entries.first { $0.name == name }
    }

    /// Whether no name was resolved.
    public var isEmpty: Bool { entries.isEmpty }

    /// Records a result, replacing the name's previous one.
    public mutating func record(_ entry: Entry) {
        entries.removeAll { $0.name == entry.name }
        entries.append(entry)
        entries.sort { $0.name < $1.name }
    }

    /// The addresses of `names` (those with any), each as a one-address network.
    public func networks(of names: [HostEntry]) -> [IPAnyNetwork] {
        var result: [IPAnyNetwork] = []
        for name in names {
            for address in self[name]?.addresses ?? [] {
                switch address {
                case .v4(let a): result.append(.v4(IPv4Network(host: a)))
                case .v6(let a): result.append(.v6(IPv6Network(host: a)))
                }
            }
        }
        return result
    }

    /// The largest file ``load(path:)`` reads.
    public static let fileSizeLimit = 1 << 20

    /// Reads results written by ``write(to:)``.
    ///
    /// - Throws: ``GeoFilterError``: `.file` when the file cannot be read (a missing file
    ///   included: check first, or use ``loadIfPresent(path:)``), `.invalidInput` when it is
    ///   not such a file.
    public static func load(path: String) throws(GeoFilterError) -> ResolvedNames {
        let bytes = try RegularFile.read(path, limit: fileSizeLimit)
        do {
            return try JSONDecoder().decode(ResolvedNames.self, from: Data(bytes))
        } catch {
            throw GeoFilterError(.invalidInput, "not a file of resolved names: \(error)", location: .init(path: path))
        }
    }

    /// ``load(path:)``, or no results when the file does not exist yet.
    public static func loadIfPresent(path: String) throws(GeoFilterError) -> ResolvedNames {
        guard FileManager.default.fileExists(atPath: path) else { return ResolvedNames() }
        return try load(path: path)
    }

    /// Writes the results as JSON, atomically (a reader sees the old file or the new one).
    public func write(to path: String) throws(GeoFilterError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Encoding strings, numbers and arrays cannot fail.
        let data = try! encoder.encode(self)
        try AtomicFile.write(Array(data) + [10], to: path)
    }
}

/// What a resolver found for one name.
public struct HostResolution: Sendable, Hashable {
    /// The addresses (A and AAAA records of the host, or of every SRV target).
    public var addresses: [IPAddress]
    /// For an SRV service: `target:port` per record, in priority order.
    public var targets: [String]
    /// The CNAME chain followed, if any.
    public var aliases: [String]
    /// The smallest time to live of the records used, in seconds.
    public var ttl: UInt32?

    public init(addresses: [IPAddress], targets: [String] = [], aliases: [String] = [], ttl: UInt32? = nil) {
        self.addresses = addresses
        self.targets = targets
        self.aliases = aliases
        self.ttl = ttl
    }
}

/// Looks names up: ``DNSResolver`` asks a DNS server; tests and hosts may supply their own.
public protocol HostNameResolver: Sendable {
    /// The addresses of a host (A and AAAA) or of an SRV service's targets.
    ///
    /// - Throws: ``GeoFilterError`` when the name does not exist, has no address, or the
    ///   lookup failed (timeout, server failure, malformed answers). A failure must never
    ///   return a partial answer: the caller then keeps the previous addresses.
    func resolve(_ name: HostEntry) throws(GeoFilterError) -> HostResolution
}

extension GeoPolicy {
    /// Every name of the policy (trusted first), without repeats.
    public var names: [HostEntry] {
        var result: [HostEntry] = []
        for name in trustedNames + providerNames where !result.contains(name) { result.append(name) }
        return result
    }

    /// The policy with its names resolved: ``resolvedNames`` holds, per name, the addresses
    /// found now, or, when the lookup fails, the addresses of `previous` (the last good
    /// result) with the failure noted. Compile the result with
    /// ``FirewallPlan/init(policy:database:allowBroadExemptions:)``; keep its
    /// ``resolvedNames`` as the next `previous`.
    ///
    /// Re-resolving on a timer and re-applying when the plan's digest changes is how a host
    /// follows a provider's address changes (the backends then send only the changed elements).
    ///
    /// - Parameters:
    ///   - resolver: the lookup, e.g. ``DNSResolver``.
    ///   - previous: the last results (from memory or ``ResolvedNames/load(path:)``); when
    ///     nil, the policy's own ``resolvedNames``.
    ///   - now: the time recorded, seconds since 1970 (default: the clock's).
    /// - Returns: the policy with ``resolvedNames`` set (names no longer in the policy dropped).
    public func resolvingNames(
        using resolver: some HostNameResolver, previous: ResolvedNames? = nil, now: Int64? = nil
    ) -> GeoPolicy {
        let now = now ?? Int64(Date().timeIntervalSince1970)
        let previous = previous ?? resolvedNames
        var results = ResolvedNames()
        for name in names {
            do throws(GeoFilterError) {
                let found = try resolver.resolve(name)
                results.record(
                    .init(name: name, addresses: Array(Set(found.addresses)), targets: found.targets, aliases: found.aliases, resolvedAt: now, ttl: found.ttl))
            } catch {
                var kept = previous[name] ?? ResolvedNames.Entry(name: name, addresses: [], resolvedAt: nil)
                kept.failure = error.message
                kept.failedAt = now
                results.record(kept)
            }
        }
        var policy = self
        policy.resolvedNames = results
        return policy
    }
}
