import Foundation
import GeoFilterTestSupport
import Testing

/// A network namespace of a test's own, so kernel tests never touch the machine's firewall.
/// Created with `ip netns add`, deleted by ``delete()`` (call it in a `defer`).
struct ScratchNamespace {
    let name: String

    /// Kernel tests run as root; under CI they always run (and fail when they cannot), elsewhere
    /// they are skipped without root.
    static var enabled: Bool { TestPaths.isCI || getuid() == 0 }
    static let skipReason: Comment = "needs root (CAP_NET_ADMIN) to create network namespaces; run as root or under CI"

    init() throws {
        name = "gftest-\(UInt32.random(in: 0...UInt32.max))"
        let result = try Self.run("/usr/sbin/ip", ["netns", "add", name])
        guard result.status == 0 else {
            throw GeoFilterTestError("ip netns add \(name) failed: \(result.error)")
        }
    }

    /// Deletes the namespace and everything in it.
    func delete() {
        _ = try? Self.run("/usr/sbin/ip", ["netns", "delete", name])
    }

    /// Runs a program inside the namespace.
    @discardableResult
    func run(_ program: String, _ arguments: [String], input: String? = nil) throws -> (status: Int32, output: String, error: String) {
        try Self.run("/usr/sbin/ip", ["netns", "exec", name, program] + arguments, input: input)
    }

    static func run(_ program: String, _ arguments: [String], input: String? = nil) throws -> (status: Int32, output: String, error: String) {
        let result = try runProcess(program, arguments, input: input)
        return (result.status, result.standardOutput, result.standardError)
    }
}

struct GeoFilterTestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
