import Foundation

/// A small, fast, seedable generator (SplitMix64), so a failing property test can be replayed
/// with the seed it reports.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Seeds for property tests: fixed ones for reproducible CI runs, plus one new seed each run
/// (or the one in GEOFILTER_TEST_SEED to replay a failure).
let propertySeeds: [UInt64] = {
    if let text = ProcessInfo.processInfo.environment["GEOFILTER_TEST_SEED"], let seed = UInt64(text) {
        return [seed]
    }
    return [1, 2, 3, 0xC0FFEE, UInt64.random(in: 0...UInt64.max)]
}()

extension UInt128 {
    static func random(using generator: inout some RandomNumberGenerator) -> UInt128 {
        UInt128(generator.next()) << 64 | UInt128(generator.next())
    }
}

/// Paths of the repository's fixtures and of the shared test data beside the checkout.
enum TestPaths {
    /// The repository root, found from this source file's path.
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    static func fixture(_ relative: String) -> String { root + "/Fixtures/" + relative }

    /// `../shared/testdata` beside the checkout (present in CI).
    static let sharedTestData = root + "/../shared/testdata"

    static var isCI: Bool {
        let value = ProcessInfo.processInfo.environment["CI"] ?? ""
        return !value.isEmpty && value != "false" && value != "0"
    }

    /// Whether the files exist; under CI a test runs regardless, so a missing file fails it.
    static func available(_ paths: String...) -> Bool {
        isCI || paths.allSatisfy { FileManager.default.fileExists(atPath: $0) }
    }

    /// Writes `text` to a new temporary file and returns its path.
    static func temporaryFile(_ text: String, name: String = "data.txt") throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("geofilter-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}
