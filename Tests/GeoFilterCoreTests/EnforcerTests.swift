import Foundation
import Synchronization
import Testing

@testable import GeoFilterCore

/// A backend that keeps the enforced plan's digest in memory, for the commit-confirm logic.
final class MemoryBackend: FirewallBackend {
    private let state = Mutex<(digest: String?, applies: Int, failNext: Bool)>((nil, 0, false))

    var digest: String? { state.withLock { $0.digest } }
    var applies: Int { state.withLock { $0.applies } }
    func failNextApply() { state.withLock { $0.failNext = true } }

    func probe() -> BackendProbe { BackendProbe(available: true, message: "memory") }

    func apply(_ plan: FirewallPlan) throws(GeoFilterError) -> ApplyOutcome {
        try state.withLock { (state) throws(GeoFilterError) -> ApplyOutcome in
            if state.failNext {
                state.failNext = false
                throw GeoFilterError(.kernel, "refused (test)")
            }
            state.applies += 1
            if state.digest == plan.digest { return .unchanged(digest: plan.digest) }
            state.digest = plan.digest
            return .applied(digest: plan.digest)
        }
    }

    func status() throws(GeoFilterError) -> FirewallStatus {
        let digest = self.digest
        return FirewallStatus(
            backend: BackendKind(rawValue: "memory"), installed: digest != nil, digest: digest, mode: nil, countries: [], sets: [], counters: [], countryCounters: [])
    }

    func remove() throws(GeoFilterError) -> Bool {
        state.withLock { state in
            defer { state.digest = nil }
            return state.digest != nil
        }
    }
}

@Suite("Enforcer: records, commit-confirm, rollback")
struct EnforcerTests {
    let a: FirewallPlan
    let b: FirewallPlan
    let c: FirewallPlan

    init() throws {
        a = try plan(.blockSelected, "CN")
        b = try plan(.blockSelected, "CN,AU")
        c = try plan(.allowOnlySelected, "AU")
    }

    private func withEnforcer(_ body: (Enforcer, MemoryBackend, String) throws -> Void) throws {
        let folder = NSTemporaryDirectory() + "geofilter-enforcer-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let backend = MemoryBackend()
        // No purge: the in-memory backend stands for no namespace, and the purge would act on
        // this machine's own connection-tracking table.
        let enforcer = Enforcer(
            backend: backend, backendName: "memory", runtimeDirectory: folder + "/run", lockTimeout: .seconds(10), purgeConnections: false)
        try body(enforcer, backend, folder)
    }

    @Test("Unconfirmed: the watchdog puts the previous plan back; a confirm after that is too late")
    func rollback() throws {
        try withEnforcer { enforcer, backend, _ in
            _ = try enforcer.apply(a)
            var launched: [String] = []
            let report = try enforcer.apply(b, confirmWithin: .milliseconds(300)) { (pending: PendingConfirmation) throws(GeoFilterError) in
                launched.append(pending.id)
            }
            let pending = try #require(report.pending)
            #expect(launched == [pending.id] && pending.previousDigest == a.digest && pending.digest == b.digest)
            #expect(backend.digest == b.digest && enforcer.pendingConfirmation()?.id == pending.id)
            #expect(try enforcer.watch(id: pending.id, poll: .milliseconds(20)))
            #expect(backend.digest == a.digest && enforcer.pendingConfirmation() == nil)
            #expect { try enforcer.confirm() } throws: { "\($0)".contains("too late") && "\($0)".contains(b.digest) }
        }
    }

    @Test("Confirmed in time: the plan stays, the watchdog stands down, the state is stored; a second confirm says so")
    func confirmed() throws {
        try withEnforcer { enforcer, backend, folder in
            _ = try enforcer.apply(a)
            let store = EnforcementStateStore(directory: folder + "/state")
            let report = try enforcer.apply(b, state: store, confirmWithin: .seconds(30))
            #expect(store.storedDigest() == nil)  // written on confirmation only
            #expect(try enforcer.confirm() == .confirmed(digest: b.digest))
            #expect(store.storedDigest() == b.digest)
            #expect(try enforcer.watch(id: try #require(report.pending).id) == false)
            #expect(backend.digest == b.digest)
            #expect(try enforcer.confirm() == .alreadyConfirmed(digest: b.digest))
        }
    }

    @Test("A second apply while one is pending: the last confirmed plan is still the one that comes back")
    func secondApply() throws {
        try withEnforcer { enforcer, backend, _ in
            _ = try enforcer.apply(a)
            let first = try #require(try enforcer.apply(b, confirmWithin: .seconds(30)).pending)
            let second = try enforcer.apply(c, confirmWithin: .milliseconds(200))
            let pending = try #require(second.pending)
            #expect(pending.previousDigest == a.digest && second.notes.contains { $0.contains("replaced") })
            #expect(try enforcer.watch(id: first.id) == false)  // superseded
            #expect(try enforcer.watch(id: pending.id, poll: .milliseconds(20)))
            #expect(backend.digest == a.digest)
        }
    }

    @Test("An apply without a window cancels the pending one; remove cancels it too")
    func cancelled() throws {
        try withEnforcer { enforcer, backend, _ in
            _ = try enforcer.apply(a)
            let pending = try #require(try enforcer.apply(b, confirmWithin: .milliseconds(200)).pending)
            let plain = try enforcer.apply(c)
            #expect(plain.notes.contains { $0.contains("cancelled") })
            Enforcer.sleep(0.3)
            #expect(try enforcer.watch(id: pending.id) == false && backend.digest == c.digest)
            let again = try #require(try enforcer.apply(a, confirmWithin: .milliseconds(100)).pending)
            #expect(try enforcer.remove())
            Enforcer.sleep(0.2)
            #expect(try enforcer.watch(id: again.id) == false && backend.digest == nil)
            #expect { try enforcer.confirm() } throws: { "\($0)".contains("nothing to confirm") }
        }
    }

    @Test("No previous plan, or one GeoFilter has no record of: without confirmation the rules are removed")
    func noPrevious() throws {
        try withEnforcer { enforcer, backend, _ in
            let pending = try #require(try enforcer.apply(a, confirmWithin: .milliseconds(100)).pending)
            #expect(pending.previousDigest == nil)
            #expect(try enforcer.watch(id: pending.id, poll: .milliseconds(20)) && backend.digest == nil)
            // A plan applied behind the Enforcer's back.
            _ = try backend.apply(c)
            let report = try enforcer.apply(b, confirmWithin: .milliseconds(100))
            #expect(report.notes.contains { $0.contains("not in GeoFilter's records") })
            #expect(try enforcer.watch(id: try #require(report.pending).id, poll: .milliseconds(20)) && backend.digest == nil)
        }
    }

    @Test("A failed apply with a window leaves nothing pending; a window that closed with no watchdog is rolled back by the next change")
    func failuresAndOrphans() throws {
        try withEnforcer { enforcer, backend, _ in
            _ = try enforcer.apply(a)
            backend.failNextApply()
            #expect(throws: GeoFilterError.self) { try enforcer.apply(b, confirmWithin: .seconds(30)) }
            #expect(enforcer.pendingConfirmation() == nil && backend.digest == a.digest)
            // The watchdog never ran (killed): the next confirm finds the window closed and rolls back.
            _ = try enforcer.apply(b, confirmWithin: .milliseconds(50))
            Enforcer.sleep(0.1)
            #expect { try enforcer.confirm() } throws: { "\($0)".contains("too late") && "\($0)".contains("sha256:\(a.digest) was put back") }
            #expect(backend.digest == a.digest)
            // Or the next apply does.
            _ = try enforcer.apply(b, confirmWithin: .milliseconds(50))
            Enforcer.sleep(0.1)
            let report = try enforcer.apply(c)
            #expect(report.notes.contains { $0.contains("had closed") })
            #expect(backend.digest == c.digest)
        }
    }

    @Test("A launcher that fails: nothing applied, nothing pending")
    func launcherFails() throws {
        try withEnforcer { enforcer, backend, _ in
            _ = try enforcer.apply(a)
            #expect(throws: GeoFilterError.self) {
                try enforcer.apply(b, confirmWithin: .seconds(5)) { (_: PendingConfirmation) throws(GeoFilterError) in
                    throw GeoFilterError(.program, "no watchdog (test)")
                }
            }
            #expect(backend.digest == a.digest && enforcer.pendingConfirmation() == nil)
        }
    }
}

@Suite struct ConfirmWatchdogTests {
    @Test("The watchdog runs in a session of its own, with its output in the log")
    func detached() throws {
        let log = NSTemporaryDirectory() + "geofilter-watchdog-\(UUID().uuidString).log"
        defer { try? FileManager.default.removeItem(atPath: log) }
        let pid = try ConfirmWatchdog.launch(executable: "/bin/sh", arguments: ["-c", "echo started; sleep 1"], log: log)
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        // Fields after the command's closing parenthesis: state, ppid, pgrp, session.
        let fields = try #require(stat.split(separator: ")").last).split(separator: " ")
        #expect(fields.count > 3 && fields[2] == "\(pid)" && fields[3] == "\(pid)", "\(stat)")
        let deadline = Date().addingTimeInterval(5)
        while (try? String(contentsOfFile: log, encoding: .utf8)) != "started\n" && Date() < deadline { usleep(20_000) }
        #expect(try String(contentsOfFile: log, encoding: .utf8) == "started\n")
        #expect(ConfirmWatchdog.currentExecutable().hasPrefix("/"))
    }

    @Test("A program that cannot be started is an error")
    func missing() {
        #expect(throws: GeoFilterError.self) { try ConfirmWatchdog.launch(executable: "/nonexistent/watchdog", arguments: [], log: nil) }
    }
}
