import Foundation
import SystemPackage
import Testing

@testable import GeoFilterCore

/// The nf_tables batches the backend builds for each plan shape, recorded without a socket
/// (no privilege needed), parsed back and printed by libnftnl's own printers, compared with the
/// golden files in `Tests/Golden/NftBatch/`. Any change to a message (an expression, its order,
/// a flag, a comment, an element) changes the text or the byte digest and fails the test.
///
/// Regenerate the golden files after an intended change with `GEOFILTER_UPDATE_GOLDEN=1 swift test
/// --filter NftBatchGolden`, and review their diff.
@Suite("nf_tables batches match the golden files (recorded, no socket)")
struct NftBatchGoldenTests {
    enum Shape: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case blockWithMap = "block-map"
        case blockWithoutMap = "block-nomap"
        case allowOnlyWithMap = "allow-only-map"
        case allowOnlyWithoutMap = "allow-only-nomap"
        case scopedServices = "scoped-services"
        case forward = "forward"
        case elementDiffWithMap = "diff-map"
        case elementDiffWithoutMap = "diff-nomap"

        var testDescription: String { rawValue }
    }

    static let directory = TestPaths.root + "/Tests/Golden/NftBatch"
    static var updating: Bool { ProcessInfo.processInfo.environment["GEOFILTER_UPDATE_GOLDEN"] == "1" }

    /// The batch text of a shape: the outcome, the batch's size and digest, then every message.
    static func recordedText(_ shape: Shape) throws -> String {
        let mapped = NftablesBackend(countryCounters: true)
        let plain = NftablesBackend(countryCounters: false)
        let trusted = ["192.0.2.0/24", "2001:db8::/32"]
        let backend: NftablesBackend
        let plan: FirewallPlan
        var previous: FirewallPlan?
        switch shape {
        case .blockWithMap, .blockWithoutMap:
            backend = shape == .blockWithMap ? mapped : plain
            plan = try GeoFilterCoreTests.plan(.blockSelected, "CN,JP", trusted: trusted, providers: ["1.0.4.0/24"])
        case .allowOnlyWithMap, .allowOnlyWithoutMap:
            backend = shape == .allowOnlyWithMap ? mapped : plain
            plan = try GeoFilterCoreTests.plan(.allowOnlySelected, "AU,US", trusted: trusted)
        case .scopedServices:
            backend = mapped
            let scope = ServiceScope(rules: try ServiceScope.service("sip") + ServiceScope.service("ssh") + ServiceScope.service("udp:3478,10000-10010"))
            plan = try FirewallPlan(policy: GeoPolicy(mode: .blockSelected, countries: "CN", scope: scope), database: fixtureDatabase())
        case .forward:
            backend = mapped
            plan = try FirewallPlan(
                policy: GeoPolicy(mode: .blockSelected, countries: "CN,JP", directions: [.input, .forward]), database: fixtureDatabase())
        case .elementDiffWithMap:
            backend = mapped
            previous = try GeoFilterCoreTests.plan(.blockSelected, "CN,US")
            plan = try GeoFilterCoreTests.plan(.blockSelected, "AU,JP")
        case .elementDiffWithoutMap:
            backend = plain
            previous = try GeoFilterCoreTests.plan(.allowOnlySelected, "AU,US", trusted: ["192.0.2.0/24"])
            plan = try GeoFilterCoreTests.plan(.allowOnlySelected, "AU,US,JP", trusted: ["192.0.2.0/25", "2001:db8::/32"])
        }
        if let previous {
            // The previous plan as the backend applied it first (a full replacement).
            let first = try backend.recordBatch(previous)
            #expect(first.outcome == .applied(digest: previous.digest))
        }
        let (outcome, bytes) = try backend.recordBatch(plan, previous: previous)
        if previous != nil, case .applied = outcome { Issue.record("\(shape): expected an element diff, got \(outcome)") }
        var text = "# \(shape.rawValue): \(outcome)\n"
        text += "# \(bytes.count) bytes, sha256 \(SHA256.hex(SHA256.hash(bytes)))\n"
        text += try NftSocket.printBatch(bytes)
        return text
    }

    @Test("The recorded batch of each plan shape is the golden one", arguments: Shape.allCases)
    func golden(_ shape: Shape) throws {
        let text = try Self.recordedText(shape)
        let path = Self.directory + "/\(shape.rawValue).txt"
        if Self.updating {
            try FileManager.default.createDirectory(atPath: Self.directory, withIntermediateDirectories: true)
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            return
        }
        let expected = try #require(
            try? String(contentsOfFile: path, encoding: .utf8), "no golden file \(path); run with GEOFILTER_UPDATE_GOLDEN=1")
        guard text != expected else { return }
        let actualLines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let expectedLines = expected.split(separator: "\n", omittingEmptySubsequences: false)
        // The first differing message line (past the digest line, which any change alters).
        let common = min(actualLines.count, expectedLines.count)
        let index = (2..<max(common, 2)).first { actualLines[$0] != expectedLines[$0] } ?? (actualLines.count == expectedLines.count ? 1 : common)
        let got = index < actualLines.count ? String(actualLines[index]) : "<end>"
        let want = index < expectedLines.count ? String(expectedLines[index]) : "<end>"
        Issue.record("\(shape.rawValue): line \(index + 1) differs from \(path)\n  got:      \(got)\n  expected: \(want)")
    }

    @Test("Recording needs no socket and keeps every committed batch")
    func recorderKeepsBatches() throws {
        let backend = NftablesBackend()
        let plan = try GeoFilterCoreTests.plan(.blockSelected, "CN")
        let (outcome, bytes) = try backend.recordBatch(plan)
        #expect(outcome == .applied(digest: plan.digest))
        let text = try NftSocket.printBatch(bytes)
        #expect(text.hasPrefix("BATCH_BEGIN"))
        #expect(text.contains("NEWRULE") && text.hasSuffix("BATCH_END subsystem 10\n"))
    }

    @Test("A recorder cannot read the kernel: unsupported, with the errno")
    func recorderReadsNothing() {
        let error = #expect(throws: GeoFilterError.self) {
            _ = try NftSocket.recording { recorder throws(GeoFilterError) in try recorder.tableComment("geofilter") }
        }
        #expect(error?.code == .unsupported && error?.errno?.rawValue == ENOTCONN, "\(String(describing: error))")
    }

    @Test("A rule the shim cannot encode is refused before anything is sent")
    func invalidExpression() {
        let error = #expect(throws: GeoFilterError.self) {
            _ = try NftSocket.recording { recorder throws(GeoFilterError) in
                try recorder.begin()
                // A cmp longer than a register.
                try recorder.addRule(NftRule(table: "t", chain: "c", comment: nil, [.cmp(.r1, .eq, [UInt8](repeating: 1, count: 17))]))
            }
        }
        #expect(error?.errno?.rawValue == EINVAL && error?.message.contains("cmp") == true, "\(String(describing: error))")
    }

    @Test("A network namespace that does not exist is a namespace error carrying ENOENT")
    func missingNamespace() {
        let backend = NftablesBackend(namespace: .named("gf-no-such-namespace-\(UInt32.random(in: 0...UInt32.max))"))
        let error = #expect(throws: GeoFilterError.self) { try backend.status() }
        #expect(error?.code == .namespace && error?.errno == .noSuchFileOrDirectory, "\(String(describing: error))")
        #expect(backend.probe().reason == .namespace)
    }
}
