import Foundation
import GeoFilterTestSupport
import Testing

enum DemoProcess {
    /// `geofilter-demo` beside the test bundle in the build folder.
    static var executable: URL {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var folder = bundle.deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: folder.appendingPathComponent("geofilter-demo").path),
            folder.path != "/"
        {
            folder = folder.deletingLastPathComponent()
        }
        return folder.appendingPathComponent("geofilter-demo")
    }

    /// Runs `geofilter-demo arguments...`, feeding `input` on standard input.
    static func demo(_ arguments: [String], input: String? = nil) throws -> ProcessResult {
        try run(executable.path, arguments, input: input)
    }

    /// Runs a program with arguments, feeding `input` on standard input.
    static func run(_ program: String, _ arguments: [String], input: String? = nil) throws -> ProcessResult {
        try runProcess(program, arguments, input: input)
    }
}

/// Where the tests find outside tools and data, and whether a missing one is an error.
enum TestEnvironment {
    /// CI sets `CI`; there every tool must be present, so a test that would skip fails.
    static var isCI: Bool {
        let value = ProcessInfo.processInfo.environment["CI"] ?? ""
        return !value.isEmpty && value != "false" && value != "0"
    }

    /// A file under the repository's `Fixtures/`.
    static func fixture(_ relative: String) -> String {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path + "/Fixtures/" + relative
    }

    static let torGeoIP = "/usr/share/tor/geoip"
    static let torGeoIP6 = "/usr/share/tor/geoip6"

    /// The full path of a program on PATH, if installed.
    static func which(_ program: String) -> String? {
        for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let path = "\(folder)/\(program)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    /// Whether the named files and programs are all there; elsewhere than CI a test is
    /// skipped when they are not (CI runs it so that it fails and says what is missing).
    static func has(files: [String] = [], programs: [String] = []) -> Bool {
        isCI || (files.allSatisfy { FileManager.default.fileExists(atPath: $0) } && programs.allSatisfy { which($0) != nil })
    }

    /// A fresh temporary folder, removed by the caller.
    static func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("geofilter-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
