import Foundation
import GeoFilterTestSupport
import Synchronization
import Testing

@testable import GeoFilterCore

/// The lock that serialises applies per backend and namespace, across threads and processes.
@Suite struct ApplyLockTests {
    private func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("geofilter-lock-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func aSecondCallerWaitsForTheFirst() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let lock = ApplyLock(directory: directory, timeout: .seconds(20))
        let events = Mutex<[String]>([])
        let entered = DispatchSemaphore(value: 0)
        let first = Thread {
            try? lock.withLock(backend: .nftables, namespace: .current) { () throws(GeoFilterError) in
                events.withLock { $0.append("first in") }
                entered.signal()
                usleep(300_000)
                events.withLock { $0.append("first out") }
            }
        }
        first.start()
        entered.wait()
        try lock.withLock(backend: .nftables, namespace: .current) { () throws(GeoFilterError) in
            events.withLock { $0.append("second in") }
        }
        #expect(events.withLock { $0 } == ["first in", "first out", "second in"])
    }

    @Test func aCallerThatWaitsTooLongIsToldWhoHoldsTheLock() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let holder = ApplyLock(directory: directory)
        let impatient = ApplyLock(directory: directory, timeout: .milliseconds(200))
        try holder.withLock(backend: .ipset, namespace: .current) { () throws(GeoFilterError) in
            let error = #expect(throws: GeoFilterError.self) {
                try impatient.withLock(backend: .ipset, namespace: .current) { () throws(GeoFilterError) in }
            }
            #expect(error?.code == .busy)
            #expect(error?.message.contains("another apply is in progress (pid \(getpid()))") == true, "\(String(describing: error))")
            // Another backend's lock is independent.
            try impatient.withLock(backend: .nftables, namespace: .current) { () throws(GeoFilterError) in }
        }
    }

    @Test("A process killed while holding the lock releases it")
    func killedHolder() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let lock = ApplyLock(directory: directory, timeout: .milliseconds(300))
        let path = try lock.lockPath(backend: .nftables, namespace: .current)
        let child = Process()
        // One process that takes the lock and sleeps (python3 is among the test tools).
        child.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        child.arguments = ["python3", "-c", "import fcntl, sys, time; f = open(sys.argv[1], 'w'); fcntl.flock(f, fcntl.LOCK_EX); time.sleep(30)", path]
        child.standardOutput = FileHandle.nullDevice
        child.standardError = FileHandle.nullDevice
        try child.run()
        defer { if child.isRunning { kill(child.processIdentifier, SIGKILL); _ = waitForExit(child) } }
        // Wait until the child holds it (the lock file's flock is taken).
        var held = false
        for _ in 0..<200 where !held {
            let probe = open(path, O_RDWR)
            held = probe >= 0 && flock(probe, LOCK_EX | LOCK_NB) != 0
            if probe >= 0 { close(probe) }
            if !held { usleep(10_000) }
        }
        #expect(held)
        let error = #expect(throws: GeoFilterError.self) { try lock.withLock(backend: .nftables, namespace: .current) { () throws(GeoFilterError) in } }
        #expect(error?.code == .busy)
        kill(child.processIdentifier, SIGKILL)
        _ = waitForExit(child)
        try lock.withLock(backend: .nftables, namespace: .current) { () throws(GeoFilterError) in }
    }

    @Test func aMissingNamespaceIsSaidAsSuch() throws {
        let lock = ApplyLock(directory: try temporaryDirectory())
        let error = #expect(throws: GeoFilterError.self) {
            try lock.withLock(backend: .nftables, namespace: .named("geofilter-no-such-namespace")) { () throws(GeoFilterError) in }
        }
        #expect(error?.code == .namespace)
    }
}
