import Foundation
import GeoFilterTestSupport
import Testing

/// The demo's help texts are part of its interface (scripts and people read them): each is kept
/// as a golden file under `Tests/Golden/Help/`. After an intended change, regenerate them with
/// `GEOFILTER_UPDATE_GOLDEN=1 swift test --filter HelpTextTests` and review the diff.
@Suite struct HelpTextTests {
    static let commands = [
        "", "countries", "lookup", "aggregate", "plan", "explain", "apply", "confirm", "restore", "status", "remove", "info", "snapshot", "update",
    ]

    private static let goldenFolder: String = {
        var url = URL(fileURLWithPath: #filePath)
        url.deleteLastPathComponent()
        url.deleteLastPathComponent()
        return url.path + "/Golden/Help"
    }()

    @Test(arguments: commands)
    func helpTextIsUnchanged(command: String) throws {
        // A fixed width, so the wrapping does not depend on the terminal running the tests.
        let arguments = ["COLUMNS=100", DemoProcess.executable.path] + (command.isEmpty ? [] : [command]) + ["--help"]
        let result = try DemoProcess.run("/usr/bin/env", arguments)
        #expect(result.status == 0, "\(result.standardError)")
        let golden = Self.goldenFolder + "/\(command.isEmpty ? "geofilter-demo" : command).txt"
        if ProcessInfo.processInfo.environment["GEOFILTER_UPDATE_GOLDEN"] == "1" {
            try FileManager.default.createDirectory(atPath: Self.goldenFolder, withIntermediateDirectories: true)
            try result.standardOutput.write(toFile: golden, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOfFile: golden, encoding: .utf8)
        #expect(result.standardOutput == expected, "the help of '\(command)' changed; see the golden file \(golden)")
    }
}
