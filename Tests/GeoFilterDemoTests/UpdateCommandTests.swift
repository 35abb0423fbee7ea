import Foundation
import GeoFilterCore
import GeoFilterTestSupport
import Testing

/// An IPFire-format IPv4 file of `count` /23-spaced /24 blocks; `variant` changes the last
/// block's country so each round serves new content of the same coverage.
private func generatedIPv4(_ count: Int, variant: Int) -> String {
    let codes = Country.all.prefix(100).map(\.alpha2)
    return (0..<count).map { index in
        let start = UInt32(1 << 24) + UInt32(index) * 512
        let code = index == count - 1 ? codes[variant % codes.count] : codes[index % codes.count]
        return "\(start),\(start + 255),\(code)"
    }.joined(separator: "\n") + "\n"
}

@Suite("geofilter-demo update", .serialized)
struct UpdateCommandTests {
    @Test("update prints progress lines and a result; --show describes the cache; --cache feeds lookup, with a warning when it cannot")
    func updateShowLookup() throws {
        let server = try UpdateServer()
        let cache = server.directory.path + "-cache"
        defer {
            server.stop()
            try? FileManager.default.removeItem(atPath: cache)
        }
        try server.put("geoip", fixture: "ipfire/geoip")
        try server.put("geoip6", fixture: "ipfire/geoip6")
        let spec = "ipfire:\(server.url("geoip")),\(server.url("geoip6"))"
        let empty = try DemoProcess.demo(["lookup", "--cache", cache, "1.0.1.1"])
        #expect(empty.standardError.contains("is empty; using the bundled database"), "\(empty.standardError)")
        let first = try DemoProcess.demo(["update", "--source", spec, "--cache", cache])
        #expect(first.status == 0, "\(first.standardError)")
        #expect(first.standardOutput.hasPrefix("updated: "))
        #expect(first.standardError.contains("requesting \(server.url("geoip"))\ndownloaded \(server.url("geoip"))"))
        #expect(first.standardError.contains("finished: updated"))
        let second = try DemoProcess.demo(["update", "--source", spec, "--cache", cache])
        #expect(second.standardOutput.hasPrefix("unchanged: "))
        #expect(second.standardError.contains("not modified: \(server.url("geoip6"))"))
        let show = try DemoProcess.demo(["update", "--show", "--cache", cache]).standardOutput
        #expect(show.contains("source:      \(spec)") && show.contains("usable:      yes") && show.contains("ETag"), "\(show)")
        let lookup = try DemoProcess.demo(["lookup", "--cache", cache, "1.0.1.1"])
        #expect(lookup.standardOutput == "1.0.1.1\tCN\t1.0.1.0/24\n" && lookup.standardError.isEmpty)
        let plan = try DemoProcess.demo(["plan", "--block", "CN", "--cache", cache])
        #expect(plan.standardOutput.contains("data:        IPFire Location"))
        // A corrupt snapshot: the bundled database answers, with a warning.
        for name in try FileManager.default.contentsOfDirectory(atPath: cache) where name.hasPrefix("data-") {
            try Data("garbage".utf8).write(to: URL(fileURLWithPath: cache + "/" + name))
        }
        let fallback = try DemoProcess.demo(["lookup", "--cache", cache, "1.0.1.1"])
        #expect(fallback.status == 0 && fallback.standardError.contains("is unusable"), "\(fallback.standardError)")
        #expect(try DemoProcess.demo(["update", "--show", "--cache", cache]).standardOutput.contains("usable:      no"))
        let url = try DemoProcess.demo(["lookup", "--source", spec, "1.0.1.1"])
        #expect(url.status != 0 && url.standardError.contains("geofilter-demo update --source \(spec) --cache DIR"), "\(url.standardError)")
        let bad = try DemoProcess.demo(["update", "--source", "dbip-lite:2026-13", "--cache", cache])
        #expect(bad.status != 0 && bad.standardError.contains("not an update source"))
    }

    @Test("Killing update at any moment never leaves a corrupt cache: the next load uses the last good copy or the new one")
    func killedUpdates() throws {
        let server = try UpdateServer()
        let cache = server.directory.path + "-cache"
        defer {
            server.stop()
            try? FileManager.default.removeItem(atPath: cache)
        }
        try server.put("geoip", text: generatedIPv4(40_000, variant: 0))
        try server.put("geoip6", fixture: "ipfire/geoip6")
        let spec = "ipfire:\(server.url("geoip")),\(server.url("geoip6"))"
        #expect(try DemoProcess.demo(["update", "--source", spec, "--cache", cache, "--retries", "0"]).status == 0)
        var snapshots: Set<String> = []
        for (round, delay) in [0.05, 0.2, 0.4, 0.7, 1.0, 1.4, 2.0, 3.0].enumerated() {
            try server.put("geoip", text: generatedIPv4(40_000, variant: round + 1))
            try server.misbehave(round % 2 == 0 ? ["geoip": "slow"] : [:])
            let process = Process()
            process.executableURL = DemoProcess.executable
            process.arguments = ["update", "--source", spec, "--cache", cache, "--retries", "0"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            Thread.sleep(forTimeInterval: delay)
            kill(process.processIdentifier, SIGKILL)
            for _ in 0..<200 where process.isRunning { usleep(20_000) }
            let show = try DemoProcess.demo(["update", "--show", "--cache", cache]).standardOutput
            #expect(show.contains("usable:      yes"), "round \(round), killed after \(delay) s:\n\(show)")
            let lookup = try DemoProcess.demo(["lookup", "--cache", cache, "1.0.0.1"])
            #expect(lookup.status == 0 && lookup.standardError.isEmpty, "round \(round): \(lookup.standardError)")
            if let line = show.split(separator: "\n").first(where: { $0.hasPrefix("snapshot:") }) { snapshots.insert(String(line)) }
        }
        // A run left to finish cleans up after the killed ones.
        try server.misbehave([:])
        let final = try DemoProcess.demo(["update", "--source", spec, "--cache", cache, "--retries", "0"])
        #expect(final.status == 0, "\(final.standardError)")
        let leftovers = (try FileManager.default.contentsOfDirectory(atPath: cache) + FileManager.default.contentsOfDirectory(atPath: cache + "/downloads"))
            .filter { $0.hasPrefix(".tmp-") }
        #expect(leftovers.isEmpty, "\(leftovers)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: cache).filter { $0.hasPrefix("data-") }.count == 1)
        #expect(!snapshots.isEmpty)
    }
}

@Suite("Docs")
struct DocsTests {
    @Test("Docs/Embedding.md shows the pbx-host-example code unchanged")
    func embeddingPageMatchesExample() throws {
        let root = UpdateServer.root
        let page = try String(contentsOfFile: root + "/Docs/Embedding.md", encoding: .utf8)
        let code = try String(contentsOfFile: root + "/Examples/PBXHost/main.swift", encoding: .utf8)
        #expect(page.contains("```swift\n" + code + "```\n"))
    }
}
