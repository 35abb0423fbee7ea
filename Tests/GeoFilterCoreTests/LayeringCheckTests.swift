import Foundation
import GeoFilterTestSupport
import Testing

/// `Scripts/check-layering.py` keeps the layer folders in order; these tests run it on the real
/// tree and on copies with a planted back-edge, which it must catch.
@Suite struct LayeringCheckTests {
    private let script = TestPaths.root + "/Scripts/check-layering.py"

    /// A copy of `Sources/GeoFilterCore` in a fresh temporary package folder.
    private func copyOfSources() throws -> String {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("geofilter-layers-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root + "/Sources", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: TestPaths.root + "/Sources/GeoFilterCore", toPath: root + "/Sources/GeoFilterCore")
        return root
    }

    private func check(_ root: String) throws -> ProcessResult {
        try runProcess("/usr/bin/env", ["python3", script, "--root", root])
    }

    @Test func theTreeIsInOrder() throws {
        let result = try runProcess("/usr/bin/env", ["python3", script])
        #expect(result.status == 0, "\(result.standardOutput)\(result.standardError)")
        #expect(result.standardOutput.contains("layers in order"))
    }

    @Test(arguments: [
        // A lower layer naming a type of a higher one.
        ("Sets/Planted.swift", "extension CIDRSet {\n    func planted() -> Any { NftablesBackend.self }\n}\n", "Sets names NftablesBackend"),
        ("Database/Planted.swift", "func planted(_ plan: FirewallPlan) {}\n", "Database names FirewallPlan"),
        ("Addresses/Planted.swift", "func planted() -> Any { DataUpdater.self }\n", "Addresses names DataUpdater"),
        // Inside a string interpolation it is still code.
        ("Regions/Planted.swift", "let planted = \"\\(GeoPolicy.self)\"\n", "Regions names GeoPolicy"),
        // One backend naming the other.
        ("Backends/IPSet/Planted.swift", "func planted() -> Any { NftablesBackend.self }\n", "Backends/IPSet names NftablesBackend"),
        // Platform uses no other layer.
        ("Platform/Planted.swift", "func planted() -> Any { CIDRSet.self }\n", "Platform names CIDRSet"),
        // A member a backend adds to a lower type, used below.
        ("Database/Planted.swift", "func planted(_ set: CIDRSet) -> Any { set.rangeBounds(.ipv4) }\n", "Database uses .rangeBounds"),
        // A kernel word in a layer below the plan.
        ("Sets/Planted.swift", "let ipsetEntryLimit = 65_536\n", "Sets speaks of a kernel backend (ipsetEntryLimit)"),
        // A file outside the layer folders.
        ("Planted.swift", "let planted = 1\n", "not in a layer folder"),
    ])
    func aPlantedViolationIsCaught(file: String, code: String, expected: String) throws {
        let root = try copyOfSources()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try code.write(toFile: root + "/Sources/GeoFilterCore/" + file, atomically: true, encoding: .utf8)
        let result = try check(root)
        #expect(result.status == 1)
        #expect(result.standardOutput.contains(file + ":"), "\(result.standardOutput)")
        #expect(result.standardOutput.contains(expected), "\(result.standardOutput)")
    }

    @Test func commentsAndStringTextAreNotCode() throws {
        let root = try copyOfSources()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let code = """
            // NftablesBackend and ipset are mentioned here only in a comment.
            /* FirewallPlan in a block comment */
            let plantedText = "the NftablesBackend and ipset in a string"

            """
        try code.write(toFile: root + "/Sources/GeoFilterCore/Sets/Planted.swift", atomically: true, encoding: .utf8)
        let result = try check(root)
        #expect(result.status == 0, "\(result.standardOutput)")
    }
}
