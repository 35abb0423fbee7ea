internal import Foundation
internal import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// Applies plans through a ``FirewallBackend`` with what a live system needs around it: a
/// record of what is enforced (so it can be put back), the boot state store
/// (``EnforcementStateStore``), and commit-confirm: a plan applied with a confirmation window
/// is rolled back by a watchdog unless ``confirm()`` comes in time.
///
/// Every change holds an exclusive lock for the backend and network namespace, across
/// processes (`flock`, released by the kernel when a holder dies), and keeps its records
/// in a runtime directory (`/run/geofilter`: memory-backed, emptied at boot) under
/// `BACKEND-DEVICE-INODE/` for the namespace:
/// ```
/// current/        the state this host last put in force here (an EnforcementStateStore)
/// rollback/       while a confirmation is pending: the state that comes back without it
/// pending.json    the pending confirmation (PendingConfirmation): id, digests, deadline
/// outcome.json    how the last confirmation ended: confirmed, rolled back, superseded
/// watchdog.log    what watchdogs said
/// ```
/// Each file is replaced atomically (temporary file, fsync, rename), so a process killed at any
/// point leaves whole records. `Docs/Operations.md` walks through each step and what happens
/// when it is interrupted.
public struct Enforcer: Sendable {
    /// Where runtime records live unless told otherwise.
    public static let standardRuntimeDirectory = "/run/geofilter"

    /// The backend that enforces plans.
    public let backend: any FirewallBackend
    /// Its name (`nftables`, `ipset`): names the lock and the records.
    public let backendName: String
    /// The namespace the backend works in (the same the backend was made for).
    public let namespace: NetworkNamespace
    /// The directory of the runtime records and locks.
    public let runtimeDirectory: String
    /// How long a change waits for another one in the same namespace.
    public var lockTimeout: Duration
    /// Whether each apply ends by deleting the connection-tracking entries of flows the plan
    /// now drops (see ``ConntrackPurge``), so attacks already in progress stop at their next
    /// packet instead of passing as "established". On by default.
    public var purgeConnections: Bool

    public init(
        backend: any FirewallBackend, backendName: String, namespace: NetworkNamespace = .current,
        runtimeDirectory: String = Enforcer.standardRuntimeDirectory, lockTimeout: Duration = .seconds(60),
        purgeConnections: Bool = true
    ) {
        self.backend = backend
        self.backendName = backendName
        self.namespace = namespace
        self.runtimeDirectory = runtimeDirectory
        self.lockTimeout = lockTimeout
        self.purgeConnections = purgeConnections
    }

    /// Enforces `plan`.
    ///
    /// Without a confirmation window the plan is applied, recorded as the current state and,
    /// with `state`, stored for boot; a confirmation still pending is cancelled once the plan
    /// is in force (this apply replaces it). With `confirmWithin`, before anything changes the
    /// state that is enforced now is saved as the rollback (the state a pending confirmation
    /// would have put back, when one is pending), the pending record is written and
    /// `launchWatchdog` starts a process that runs ``watch(id:poll:)``; then the plan is
    /// applied and the deadline set to `confirmWithin` from now. `state` is written only when
    /// ``confirm()`` comes.
    ///
    /// - Parameters:
    ///   - allowBroadExemptions, backendSettings: stored with the state, to compile and apply it
    ///     again the same way.
    ///   - state: the boot state store to write (`apply --state DIR`).
    ///   - confirmWithin: the confirmation window.
    ///   - launchWatchdog: starts the watchdog for the pending confirmation, detached from the
    ///     caller so that it survives it (``ConfirmWatchdog/launch(executable:arguments:log:)``).
    /// - Throws: ``GeoFilterError``: from the backend (the previous plan stays in force), `.busy`
    ///   when another change holds the lock, `.file` when a record cannot be written.
    public func apply(
        _ plan: FirewallPlan, allowBroadExemptions: Bool = false, backendSettings: [String: String] = [:],
        state: EnforcementStateStore? = nil, confirmWithin: Duration? = nil,
        launchWatchdog: (PendingConfirmation) throws(GeoFilterError) -> Void = { _ in }
    ) throws(GeoFilterError) -> EnforcementReport {
        try locked { (paths: Paths) throws(GeoFilterError) -> EnforcementReport in
            var notes: [String] = []
            if let note = try rollbackIfExpired(paths) { notes.append(note) }
            let earlier = readPending(paths)
            var pending: PendingConfirmation?
            if let confirmWithin {
                var previousDigest: String?
                if let earlier {
                    previousDigest = earlier.previousDigest  // rollback/ stays: the last confirmed state
                    notes.append("the confirmation pending for sha256:\(earlier.digest) is replaced by this one")
                } else {
                    AtomicFile.removeTree(paths.rollback.directory)
                    let status = try backend.status()
                    if status.installed, let digest = status.digest {
                        let candidates = [paths.current] + (state.map { [$0] } ?? [])
                        if let saved = candidates.lazy.compactMap({ store in store.storedDigest() == digest ? try? store.load() : nil }).first {
                            try paths.rollback.save(saved)
                            previousDigest = digest
                        } else {
                            notes.append(
                                "the enforced plan sha256:\(digest) is not in GeoFilter's records, so it cannot be put back: without confirm, GeoFilter's rules are removed instead")
                        }
                    }
                }
                let seconds = Self.seconds(confirmWithin)
                let record = PendingConfirmation(
                    id: Self.randomID(), digest: plan.digest, previousDigest: previousDigest, expiresAt: Date().timeIntervalSince1970 + seconds,
                    deadline: Self.bootTime() + seconds, bootID: Self.bootID(), stateDirectory: state.map { Self.absolute($0.directory) })
                try writePending(record, paths)
                do throws(GeoFilterError) {
                    try launchWatchdog(record)
                } catch {
                    restorePending(earlier, paths)
                    throw error
                }
                pending = record
            }
            let outcome: ApplyOutcome
            do throws(GeoFilterError) {
                outcome = try backend.apply(plan)
            } catch {
                if var record = pending {
                    // The kernel holds what it held: the new watchdog takes over the earlier
                    // pending confirmation, or stands down.
                    if let earlier {
                        record.digest = earlier.digest
                        record.deadline = earlier.deadline
                        record.expiresAt = earlier.expiresAt
                        record.stateDirectory = earlier.stateDirectory
                        try? writePending(record, paths)
                    } else {
                        restorePending(nil, paths)
                    }
                }
                throw error
            }
            var enforced: EnforcementState?
            do throws(GeoFilterError) {
                // Encoding the data costs a pass over it: only when something is to be written.
                let recorded = paths.current.storedDigest() == plan.digest
                if !recorded || (pending == nil && state != nil) {
                    enforced = try EnforcementState(
                        plan: plan, backend: backendName, backendSettings: backendSettings, allowBroadExemptions: allowBroadExemptions)
                }
                if !recorded, let enforced { try paths.current.save(enforced) }
            } catch {
                notes.append("the plan is enforced but could not be recorded (\(error.message)); it cannot be put back by a later rollback")
                enforced = nil
            }
            if var record = pending {
                let seconds = Self.seconds(confirmWithin ?? .zero)
                record.deadline = Self.bootTime() + seconds
                record.expiresAt = Date().timeIntervalSince1970 + seconds
                try writePending(record, paths)
                pending = record
            } else {
                if let earlier {
                    clearPending(paths, outcome: Outcome(digest: earlier.digest, result: .superseded, at: Date().timeIntervalSince1970))
                    notes.append("the confirmation pending for sha256:\(earlier.digest) is cancelled: this apply replaces it")
                }
                if let state {
                    guard let enforced else {
                        throw GeoFilterError(.file, "the plan is enforced, but its state could not be stored in \(state.directory)")
                    }
                    try state.save(enforced)
                }
            }
            // Also after "unchanged": re-applying ends a flood that an apply without the purge
            // (or one killed before it) left established.
            var purge: ConntrackPurge.Result?
            if purgeConnections {
                do throws(GeoFilterError) {
                    purge = try ConntrackPurge.run(plan: plan, namespace: namespace)
                } catch {
                    notes.append("the plan is in force, but its dropped flows' connection-tracking entries could not be purged (\(error.message))")
                }
            }
            return EnforcementReport(outcome: outcome, pending: pending, notes: notes, purge: purge)
        }
    }

    /// Confirms the plan waiting for confirmation: it stays, the watchdog stands down, and the
    /// state is stored for boot when the apply named a state store.
    ///
    /// - Returns: ``ConfirmOutcome/alreadyConfirmed(digest:)`` for a second confirm.
    /// - Throws: ``GeoFilterError`` (`.invalidInput`) when nothing is pending, when the window
    ///   has closed (the previous plan is put back, if the watchdog has not done it yet), or when
    ///   the kernel does not enforce the pending plan; `.file` when the state cannot be stored
    ///   (nothing is confirmed then).
    public func confirm() throws(GeoFilterError) -> ConfirmOutcome {
        try locked { (paths: Paths) throws(GeoFilterError) -> ConfirmOutcome in
            guard let pending = readPending(paths) else {
                if let last = readOutcome(paths) {
                    switch last.result {
                    case .confirmed: return .alreadyConfirmed(digest: last.digest)
                    case .rolledBack:
                        throw GeoFilterError(
                            .invalidInput,
                            "too late: sha256:\(last.digest) was not confirmed in time and was rolled back at \(Self.time(last.at)); apply it again to retry")
                    case .superseded: break
                    }
                }
                throw GeoFilterError(.invalidInput, "nothing to confirm: no plan applied with --confirm-within is waiting in this network namespace")
            }
            guard Self.bootTime() < pending.deadline else {
                let note = try rollback(pending, paths)
                throw GeoFilterError(.invalidInput, "too late: the confirmation window closed at \(Self.time(pending.expiresAt)); \(note)")
            }
            let status = try backend.status()
            guard status.digest == pending.digest else {
                throw GeoFilterError(
                    .invalidInput,
                    "the plan waiting for confirmation (sha256:\(pending.digest)) is not the one in force (\(status.digest.map { "sha256:\($0)" } ?? "none")); nothing was confirmed")
            }
            if let directory = pending.stateDirectory {
                guard let state = try paths.current.load(), state.digest == pending.digest else {
                    throw GeoFilterError(.file, "the pending plan's record is missing, so its state cannot be stored in \(directory); nothing was confirmed")
                }
                try EnforcementStateStore(directory: directory).save(state)
            }
            clearPending(paths, outcome: Outcome(digest: pending.digest, result: .confirmed, at: Date().timeIntervalSince1970))
            return .confirmed(digest: pending.digest)
        }
    }

    /// The watchdog's work: waits for the pending confirmation `id` and, unless it is
    /// confirmed, superseded or cancelled before its deadline, puts the previous plan back.
    /// Returns when there is nothing left to watch.
    ///
    /// - Returns: whether it rolled back.
    /// - Throws: ``GeoFilterError`` when the rollback failed (after retries).
    public func watch(id: String, poll: Duration = .milliseconds(200)) throws(GeoFilterError) -> Bool {
        var failures = 0
        while true {
            let paths = try self.paths(creating: false)
            guard let pending = readPending(paths), pending.id == id else { return false }
            let left = pending.deadline - Self.bootTime()
            if left > 0 {
                Self.sleep(min(left, Self.seconds(poll)))
                continue
            }
            do throws(GeoFilterError) {
                let done = try locked { (paths: Paths) throws(GeoFilterError) -> Bool in
                    guard let pending = readPending(paths), pending.id == id, Self.bootTime() >= pending.deadline else { return false }
                    _ = try rollback(pending, paths)
                    return true
                }
                if done { return true }
            } catch {
                failures += 1
                if failures >= 5 { throw error }
                Self.sleep(1)
            }
        }
    }

    /// The file a watchdog started for this backend and namespace writes to, or nil when the
    /// namespace does not exist or the runtime directory cannot be made.
    public var watchdogLog: String? { (try? paths()).map { "\($0.directory)/watchdog.log" } }

    /// What this program last put in force in this namespace (its digest, when it was applied
    /// and the data it was compiled from), from the runtime records; nil when none. Compare
    /// its digest with the backend's ``FirewallStatus/digest`` before showing it.
    public func enforcedSummary() -> EnforcementStateStore.Summary? {
        guard let paths = try? paths() else { return nil }
        return paths.current.summary()
    }

    /// The confirmation pending in this namespace, if any.
    public func pendingConfirmation() -> PendingConfirmation? {
        (try? paths(creating: false)).flatMap { readPending($0) }
    }

    /// Removes GeoFilter's rules (``FirewallBackend/remove()``), cancels a pending confirmation
    /// (its watchdog stands down) and deletes this namespace's runtime records.
    ///
    /// - Returns: whether anything was installed.
    public func remove() throws(GeoFilterError) -> Bool {
        try locked { (paths: Paths) throws(GeoFilterError) -> Bool in
            let existed = try backend.remove()
            // Nothing is left to confirm, roll back or restore here: the records go (a
            // watchdog finds no pending record and stands down).
            unlink(paths.pending)
            AtomicFile.syncDirectory(paths.directory)
            AtomicFile.removeTree(paths.directory)
            return existed
        }
    }

    // MARK: Records

    struct Paths {
        var directory: String
        var current: EnforcementStateStore { EnforcementStateStore(directory: "\(directory)/current") }
        var rollback: EnforcementStateStore { EnforcementStateStore(directory: "\(directory)/rollback") }
        var pending: String { "\(directory)/pending.json" }
        var outcome: String { "\(directory)/outcome.json" }
    }

    struct Outcome: Codable {
        enum Result: String, Codable {
            case confirmed, rolledBack, superseded
        }
        var digest: String
        var result: Result
        var at: Double
        /// After a rollback: the digest put back (nil: GeoFilter's rules were removed).
        var restored: String?
    }

    /// `RUNTIME/BACKEND-DEVICE-INODE`, created if needed (`creating`).
    func paths(creating: Bool = true) throws(GeoFilterError) -> Paths {
        let nsPath = namespace.path ?? "/proc/self/ns/net"
        var info = stat()
        guard stat(nsPath, &info) == 0 else {
            throw GeoFilterError.system(.namespace, "no such network namespace (\(nsPath))", errno: errno)
        }
        let directory = "\(runtimeDirectory)/\(backendName)-\(info.st_dev)-\(info.st_ino)"
        guard creating else { return Paths(directory: directory) }
        do throws(GeoFilterError) {
            try AtomicFile.makeDirectory(runtimeDirectory)
            if mkdir(directory, 0o700) != 0 && errno != EEXIST {
                throw GeoFilterError.system(.file, "cannot create the directory \(directory)", errno: errno)
            }
        } catch {
            guard let number = error.errno?.rawValue, [EACCES, EPERM, EROFS].contains(number) else { throw error }
            throw GeoFilterError(.permission, "\(error.message); changing the firewall needs root (CAP_NET_ADMIN)", errno: error.errno)
        }
        return Paths(directory: directory)
    }

    private func locked<Result>(_ body: (Paths) throws(GeoFilterError) -> Result) throws(GeoFilterError) -> Result {
        let paths = try paths()
        return try ApplyLock(directory: runtimeDirectory, timeout: lockTimeout).withLock(named: "state-\(backendName)", namespace: namespace) {
            () throws(GeoFilterError) -> Result in try body(paths)
        }
    }

    /// Puts the state of `rollback/` back (or removes GeoFilter's rules when there is none or it
    /// cannot be applied) and clears the pending confirmation. Lock held.
    private func rollback(_ pending: PendingConfirmation, _ paths: Paths) throws(GeoFilterError) -> String {
        var restored: String?
        if pending.previousDigest != nil, let state = try? paths.rollback.load(), let plan = try? state.plan() {
            if (try? backend.apply(plan)) != nil {
                restored = plan.digest
                if paths.current.storedDigest() != state.digest { try? paths.current.save(state) }
            }
        }
        if restored == nil {
            _ = try backend.remove()
            paths.current.remove()
        }
        clearPending(paths, outcome: Outcome(digest: pending.digest, result: .rolledBack, at: Date().timeIntervalSince1970, restored: restored))
        return restored.map { "sha256:\($0) was put back" } ?? "GeoFilter's rules were removed (there was no previous plan to put back)"
    }

    /// Rolls back a pending confirmation whose deadline passed (its watchdog is late or gone).
    private func rollbackIfExpired(_ paths: Paths) throws(GeoFilterError) -> String? {
        guard let pending = readPending(paths), Self.bootTime() >= pending.deadline else { return nil }
        let note = try rollback(pending, paths)
        return "the confirmation window for sha256:\(pending.digest) had closed: \(note)"
    }

    /// The pending record, or nil; a record of an earlier boot (a runtime directory on
    /// persistent storage) is deleted.
    private func readPending(_ paths: Paths) -> PendingConfirmation? {
        guard let bytes = try? RegularFile.read(paths.pending, limit: 1 << 20),
            let pending = try? JSONDecoder().decode(PendingConfirmation.self, from: Data(bytes))
        else { return nil }
        guard pending.bootID == Self.bootID() else {
            unlink(paths.pending)
            return nil
        }
        return pending
    }

    private func readOutcome(_ paths: Paths) -> Outcome? {
        guard let bytes = try? RegularFile.read(paths.outcome, limit: 1 << 20) else { return nil }
        return try? JSONDecoder().decode(Outcome.self, from: Data(bytes))
    }

    private func writePending(_ pending: PendingConfirmation, _ paths: Paths) throws(GeoFilterError) {
        try AtomicFile.write(Self.json(pending), to: paths.pending)
    }

    /// Puts an earlier pending record back, or clears the pending state when there was none.
    private func restorePending(_ earlier: PendingConfirmation?, _ paths: Paths) {
        if let earlier {
            try? writePending(earlier, paths)
        } else {
            unlink(paths.pending)
            AtomicFile.removeTree(paths.rollback.directory)
            AtomicFile.syncDirectory(paths.directory)
        }
    }

    /// Ends a pending confirmation: the outcome first, then the pending record (the commit
    /// point: a watchdog that finds it gone stands down), then the rollback state.
    private func clearPending(_ paths: Paths, outcome: Outcome) {
        try? AtomicFile.write(Self.json(outcome), to: paths.outcome)
        unlink(paths.pending)
        AtomicFile.syncDirectory(paths.directory)
        AtomicFile.removeTree(paths.rollback.directory)
    }

    // MARK: Clocks and helpers

    /// Seconds since boot (`CLOCK_BOOTTIME`: counts suspend, never jumps with the wall clock).
    static func bootTime() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_BOOTTIME, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    /// This boot's id (`/proc/sys/kernel/random/boot_id`).
    static func bootID() -> String {
        ((try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8)) ?? "unknown")
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func sleep(_ seconds: Double) {
        guard seconds > 0 else { return }
        var time = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - Double(Int(seconds))) * 1e9))
        var left = timespec()
        while nanosleep(&time, &left) != 0 && errno == EINTR { time = left }
    }

    static func randomID() -> String {
        (0..<8).map { _ in String(UInt8.random(in: 0...255), radix: 16) }.map { $0.count == 1 ? "0" + $0 : $0 }.joined()
    }

    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    static func time(_ seconds: Double) -> String {
        ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: seconds))
    }

    private static func json(_ value: some Encodable) throws(GeoFilterError) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do { return Array(try encoder.encode(value)) + [10] } catch { throw GeoFilterError(.file, "cannot encode a runtime record: \(error)") }
    }
}
