import Foundation
import GeoFilterTestSupport
import Testing

/// `lookup` in bulk: addresses from standard input and files, text or JSON.
@Suite struct LookupCommandTests {
    let spec = "ipfire:\(TestEnvironment.fixture("ipfire/geoip")),\(TestEnvironment.fixture("ipfire/geoip6"))"

    /// Random addresses of both families, some in the fixture's ranges, some not.
    private func sample(_ count: Int, seed: UInt64) -> [String] {
        var state = seed
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 11
        }
        return (0..<count).map { _ in
            if next() % 3 == 0 {
                return String(format: "2001:%x:%x::%x", next() % 0x10, next() % 0x10000, next() % 0x10000)
            }
            return "1.0.\(next() % 256).\(next() % 256)"
        }
    }

    @Test func standardInputGivesTheSameLinesAsArguments() throws {
        let addresses = sample(400, seed: 7)
        let byArguments = try DemoProcess.demo(["lookup", "--source", spec] + addresses)
        #expect(byArguments.status == 0, "\(byArguments.standardError)")
        let input = "# a log's addresses\n\n" + addresses.map { "  \($0)  # seen\n" }.joined()
        let byInput = try DemoProcess.demo(["lookup", "--source", spec, "-"], input: input)
        #expect(byInput.status == 0, "\(byInput.standardError)")
        #expect(byInput.standardOutput == byArguments.standardOutput)
        #expect(byInput.standardOutput.split(separator: "\n").count == addresses.count)
        let folder = try TestEnvironment.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("addresses.txt").path
        try input.write(toFile: file, atomically: true, encoding: .utf8)
        let byFile = try DemoProcess.demo(["lookup", "--source", spec, "--file", file])
        #expect(byFile.standardOutput == byArguments.standardOutput)
    }

    @Test func jsonIsOneArrayWithOneObjectPerLine() throws {
        let addresses = ["1.0.1.1", "10.0.0.1", "2001:2::1"]
        let result = try DemoProcess.demo(["lookup", "--json", "--source", spec] + addresses)
        #expect(result.status == 0, "\(result.standardError)")
        let lines = result.standardOutput.split(separator: "\n")
        #expect(lines.count == addresses.count + 2 && lines.first == "[" && lines.last == "]")
        let array = try #require(try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [[String: Any]])
        #expect(array.map { $0["ip"] as? String } == addresses)
        #expect(array[0]["country"] as? String == "CN" && array[0]["network"] as? String == "1.0.1.0/24")
        #expect(array[1]["country"] is NSNull && array[1]["network"] is NSNull)
        // Each object is on its own line, so line tools can read it too.
        #expect(lines[1].hasPrefix("{\"ip\":\"1.0.1.1\"") && lines[2].hasPrefix("{\"ip\":\"10.0.0.1\""))
        let empty = try DemoProcess.demo(["lookup", "--json", "--source", spec, "-"], input: "# nothing\n")
        #expect(empty.standardOutput == "[]\n")
    }

    @Test func aBadLineIsNamedByFileAndLine() throws {
        let result = try DemoProcess.demo(["lookup", "--source", spec, "-"], input: "1.0.1.1\n1.0.1.300\n")
        #expect(result.status == 1)
        #expect(result.standardError.contains("<stdin>:2:") && result.standardError.contains("1.0.1.300"), "\(result.standardError)")
        let none = try DemoProcess.demo(["lookup", "--source", spec])
        #expect(none.status != 0 && none.standardError.contains("standard input"))
    }
}
