import Foundation
import GeoFilterTestSupport
import Testing

/// MaxMind's test databases (maxmind/MaxMind-DB test-data, in ../shared/testdata).
private let maxmindTestData: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path + "/../shared/testdata/maxmind-MaxMind-DB/test-data"
}()

@Suite(
    "mmdb:PATH sources in the demo",
    .enabled(
        if: TestEnvironment.has(files: [maxmindTestData + "/GeoLite2-Country-Test.mmdb"]),
        "needs ../shared/testdata/maxmind-MaxMind-DB beside the checkout"))
struct MMDBCommandTests {
    @Test("lookup --source mmdb:FILE answers from the walked database; ,registered and ,represented choose")
    func lookup() throws {
        let file = maxmindTestData + "/GeoIP2-Country-Test.mmdb"
        let located = try DemoProcess.demo(["lookup", "--source", "mmdb:\(file)", "81.2.69.165", "202.196.224.5", "2001:218::1", "214.1.1.1"])
        #expect(located.status == 0, "\(located.standardError)")
        #expect(located.standardOutput == "81.2.69.165\tGB\t81.2.69.160/27\n202.196.224.5\tPH\t202.196.224.0/20\n2001:218::1\tJP\t2001:218::/32\n214.1.1.1\t-\t-\n")
        let registered = try DemoProcess.demo(["lookup", "--source", "mmdb:\(file),registered", "81.2.69.165"])
        #expect(registered.standardOutput.hasPrefix("81.2.69.165\tUS\t"), "\(registered.standardError)")
        let represented = try DemoProcess.demo(["lookup", "--source", "mmdb:\(file),represented", "202.196.224.5"])
        #expect(represented.standardOutput.hasPrefix("202.196.224.5\tUS\t"), "\(represented.standardError)")
        let info = try DemoProcess.demo(["info", "--source", "mmdb:\(file)"])
        #expect(info.status == 0 && info.standardOutput.contains("GeoIP2-Country"), "\(info.standardOutput)\(info.standardError)")
    }

    @Test("A corrupt or missing mmdb file is an error naming it")
    func corrupt() throws {
        let folder = try TestEnvironment.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let bytes = try Data(contentsOf: URL(fileURLWithPath: maxmindTestData + "/GeoIP2-Country-Test.mmdb"))
        let cut = folder.appendingPathComponent("cut.mmdb")
        try bytes.prefix(bytes.count / 2).write(to: cut)
        let result = try DemoProcess.demo(["lookup", "--source", "mmdb:\(cut.path)", "1.1.1.1"])
        #expect(result.status != 0)
        #expect(result.standardError.contains(cut.path) && result.standardError.contains("MaxMind"), "\(result.standardError)")
        let missing = try DemoProcess.demo(["lookup", "--source", "mmdb:/nonexistent.mmdb", "1.1.1.1"])
        #expect(missing.status != 0 && missing.standardError.contains("/nonexistent.mmdb"))
        let badChoice = try DemoProcess.demo(["lookup", "--source", "mmdb:\(cut.path),nowhere", "1.1.1.1"])
        #expect(badChoice.status != 0 && badChoice.standardError.contains("mmdb:PATH"))
    }
}
