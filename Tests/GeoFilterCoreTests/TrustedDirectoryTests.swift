import Foundation
import Testing

@testable import GeoFilterCore

/// Running as root, the update cache and restore state are refused when another user could
/// change them; fresh directories are created 0750.
@Suite(.enabled(if: getuid() == 0 || TestPaths.isCI, "the ownership checks apply when running as root"))
struct TrustedDirectoryTests {
    private func scratch() throws -> String {
        let path = "/tmp/geofilter-trust-\(UUID().uuidString)"
        #expect(mkdir(path, 0o755) == 0)
        return path
    }

    @Test func aFreshDirectoryIsCreated0750AndAccepted() throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try TrustedDirectory.prepare(root + "/cache/deeper")
        for path in [root + "/cache", root + "/cache/deeper"] {
            var info = stat()
            #expect(stat(path, &info) == 0)
            #expect(info.st_mode & 0o777 == 0o750, "\(path): \(String(info.st_mode & 0o777, radix: 8))")
        }
    }

    @Test func aDirectoryOwnedByAnotherUserIsRefused() throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(mkdir(root + "/cache", 0o750) == 0)
        #expect(chown(root + "/cache", 65534, 65534) == 0)
        let error = #expect(throws: GeoFilterError.self) { try TrustedDirectory.prepare(root + "/cache") }
        #expect(error?.code == .permission)
        #expect(error?.message.contains("owned by uid 65534, not root") == true, "\(String(describing: error))")
    }

    @Test(arguments: [0o775, 0o757, 0o777]) func aWritableDirectoryOrParentIsRefused(mode: Int) throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(mkdir(root + "/parent", 0o755) == 0 && mkdir(root + "/parent/cache", 0o750) == 0)
        #expect(chmod(root + "/parent/cache", mode_t(mode)) == 0)
        let own = #expect(throws: GeoFilterError.self) { try TrustedDirectory.check(root + "/parent/cache") }
        #expect(own?.message.contains("writable by group or others") == true)
        #expect(chmod(root + "/parent/cache", 0o750) == 0 && chmod(root + "/parent", mode_t(mode)) == 0)
        let parent = #expect(throws: GeoFilterError.self) { try TrustedDirectory.check(root + "/parent/cache") }
        #expect(parent?.message.contains("\(root)/parent is writable") == true, "\(String(describing: parent))")
        // A sticky parent (like /tmp) is fine.
        #expect(chmod(root + "/parent", mode_t(mode) | S_ISVTX) == 0)
        try TrustedDirectory.check(root + "/parent/cache")
    }

    @Test func anUnsafeCacheFallsBackToTheBundledDataAndUpdatesAreRefused() throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(mkdir(root + "/cache", 0o777) == 0 && chmod(root + "/cache", 0o777) == 0)
        BundledSnapshot.register(path: TestPaths.root + "/Sources/GeoFilterBundledData/Resources/geofilter-bundled.gfsnap")
        let loaded = try DataCache.load(directory: root + "/cache")
        guard case .bundledUnusableCache(let reason) = loaded.origin else {
            Issue.record("an unsafe cache was used: \(loaded.origin)")
            return
        }
        #expect(reason.contains("writable by group or others"))
        let error = #expect(throws: GeoFilterError.self) { try DataCache(directory: root + "/cache").prepare() }
        #expect(error?.code == .permission)
    }

    @Test func aStateDirectoryOthersCanWriteIsRefused() throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(mkdir(root + "/state", 0o750) == 0 && chown(root + "/state", 65534, 65534) == 0)
        let store = EnforcementStateStore(directory: root + "/state")
        let error = #expect(throws: GeoFilterError.self) { try store.loadForRestore() }
        #expect(error?.code == .permission && error?.message.contains("owned by uid 65534") == true, "\(String(describing: error))")
        #expect(throws: GeoFilterError.self) { try store.load() }
    }
}
