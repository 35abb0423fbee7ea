import Foundation
import GeoFilterTestSupport
import Testing

@testable import GeoFilterCore

/// An IPFire-format IPv4 file: `count` blocks of 2^24 addresses starting at 1.0.0.0, each in a
/// country of its own (from a fixed list), so a dataset with half the blocks loses half the
/// addresses and half the countries.
private func generatedIPv4(_ count: Int) -> String {
    let codes = Country.all.prefix(120).map(\.alpha2)
    return (0..<count).map { index in
        let start = UInt32(index + 1) << 24
        return "\(start),\(start + (1 << 24) - 1),\(codes[index % codes.count])"
    }.joined(separator: "\n") + "\n"
}

/// Every file under a directory with its bytes: to show a failed update changed nothing.
private func snapshotOf(_ directory: String) -> [String: Data] {
    var files: [String: Data] = [:]
    let root = URL(fileURLWithPath: directory)
    guard let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else { return files }
    for case let url as URL in enumerator where (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
        files[url.path] = try? Data(contentsOf: url)
    }
    return files
}

private let fast = UpdateConfiguration(timeouts: .init(connect: 2, stall: 1, total: 20), retries: 1, backoff: 0.01)

/// A test with a loopback server and an empty cache directory, both removed afterwards.
private func withServer(_ body: (UpdateServer, String) throws -> Void) throws {
    let server = try UpdateServer()
    let cache = server.directory.deletingLastPathComponent().appendingPathComponent("gf-cache-\(UUID().uuidString)").path
    defer {
        server.stop()
        try? FileManager.default.removeItem(atPath: cache)
    }
    try body(server, cache)
}

private func ipfireSource(_ server: UpdateServer) -> UpdateSource {
    UpdateSource(format: .ipfire, files: [.init(url: server.url("geoip")), .init(url: server.url("geoip6"))])
}

@Suite("Data updates against a loopback HTTP server")
struct DataUpdaterTests {
    @Test("A fresh update downloads, validates, caches and reports events in order; a second sends validators and gets 304; a changed file is fetched again")
    func freshThenConditional() throws {
        try withServer { server, cache in
            try server.put("geoip", fixture: "ipfire/geoip")
            try server.put("geoip6", fixture: "ipfire/geoip6")
            let updater = DataUpdater(cacheDirectory: cache, configuration: fast)
            var events: [UpdateEvent] = []
            let result = try updater.run(ipfireSource(server), progress: { events.append($0) })
            #expect(result.outcome == .updated)
            let skeleton = events.filter {
                if case .receiving = $0 { return false }
                if case .parsed = $0 { return false }
                return true
            }
            #expect(skeleton == [
                .requesting(url: server.url("geoip"), conditional: false), .downloaded(url: server.url("geoip"), bytes: UInt64(try Data(contentsOf: URL(fileURLWithPath: TestPaths.fixture("ipfire/geoip"))).count)),
                .requesting(url: server.url("geoip6"), conditional: false), .downloaded(url: server.url("geoip6"), bytes: UInt64(try Data(contentsOf: URL(fileURLWithPath: TestPaths.fixture("ipfire/geoip6"))).count)),
                .validated(result.manifest.figures), .finished(result),
            ])
            // Bytes arrive between a file's request and its completion; rows are counted after the downloads.
            let receivingIndex = try #require(events.firstIndex { if case .receiving(let url, _, _) = $0 { url == server.url("geoip") } else { false } })
            #expect(receivingIndex > 0 && receivingIndex < events.firstIndex(of: skeleton[1])!)
            let direct = try GeoDatabase.load(.ipfire(ipv4: TestPaths.fixture("ipfire/geoip"), ipv6: TestPaths.fixture("ipfire/geoip6")))
            #expect(events.contains(.parsed(rows: direct.report.rows)))
            let cached = try #require(try DataCache(directory: cache).loadLastGood())
            for address in ["1.0.1.1", "1.0.0.1", "2001:2::1", "2001:4:112::1", "8.8.8.8"] {
                let ip = try IPAddress(parsing: address)
                #expect(cached.lookup(ip) == direct.lookup(ip), "\(address)")
            }

            // Second run: conditional requests, 304, nothing replaced.
            let before = snapshotOf(cache + "/downloads")
            let second = try updater.run(ipfireSource(server))
            #expect(second.outcome == .unchanged)
            let requests = try server.requests()
            #expect(requests.count == 4)
            #expect(requests[2].headers["If-None-Match"] == result.manifest.files[0].etag)
            #expect(requests[2].headers["If-Modified-Since"] == result.manifest.files[0].lastModified)
            #expect(snapshotOf(cache + "/downloads") == before)
            #expect(second.manifest.snapshot == result.manifest.snapshot && second.manifest.checkedAt >= result.manifest.checkedAt)

            // A changed file is downloaded again and its data used.
            try server.put("geoip6", text: "2001:2::,2001:2:0:ffff:ffff:ffff:ffff:ffff,AU\n2001:4:112::,2001:4:112:ffff:ffff:ffff:ffff:ffff,US\n")
            var third: [UpdateEvent] = []
            let changed = try DataUpdater(cacheDirectory: cache, configuration: UpdateConfiguration(retries: 0, maximumCoverageLoss: 1, maximumCountryLoss: 1))
                .run(ipfireSource(server), progress: { third.append($0) })
            #expect(changed.outcome == .updated)
            #expect(third.contains(.notModified(url: server.url("geoip"))))
            #expect(third.contains { if case .downloaded(let url, _) = $0 { url == server.url("geoip6") } else { false } })
            let updated = try #require(try DataCache(directory: cache).loadLastGood())
            #expect(updated.lookup(try IPAddress(parsing: "2001:2::1"))?.region == RegionCode(try Country(code: "AU")))
            #expect(updated.lookup(try IPAddress(parsing: "1.0.1.1"))?.region == RegionCode(try Country(code: "CN")))
        }
    }

    @Test(
        "Each failure leaves the previous cache untouched and says what failed",
        arguments: [
            ("truncate", "geoip", "after 2 attempts"),
            ("garbage", "geoip", "is not valid"),
            ("status:404", "geoip6", "HTTP 404"),
            ("status:500", "geoip6", "HTTP 500 (after 2 attempts)"),
            ("stall", "geoip", "timed out"),
            ("halved", "geoip", "fewer IPv4 addresses"),
        ])
    func failuresKeepTheCache(mode: String, file: String, expected: String) throws {
        try withServer { server, cache in
            try server.put("geoip", text: generatedIPv4(40))
            try server.put("geoip6", fixture: "ipfire/geoip6")
            let updater = DataUpdater(cacheDirectory: cache, configuration: fast)
            _ = try updater.run(ipfireSource(server))
            let before = snapshotOf(cache)
            // New content (so the validators do not answer 304), then the failure.
            try server.put("geoip", text: generatedIPv4(41))
            switch mode {
            case "garbage": try server.put("geoip", text: "<html><body>Service unavailable</body></html>\n")
            case "halved": try server.put("geoip", text: generatedIPv4(20))
            default: try server.misbehave([file: mode])
            }
            let error = #expect(throws: GeoFilterError.self) { try updater.run(ipfireSource(server)) }
            #expect(error?.description.contains(expected) == true, "\(String(describing: error))")
            #expect(error?.description.contains(server.url(file)) == true || mode == "halved", "names the URL: \(String(describing: error))")
            #expect(snapshotOf(cache) == before, "the cache changed after \(mode)")
            #expect(try DataCache(directory: cache).loadLastGood() != nil)
        }
    }

    @Test("A source with fewer files than the cached copy's is rebuilt, not reported unchanged; the coverage check still guards it")
    func changedSourceIsRebuilt() throws {
        try withServer { server, cache in
            try server.put("geoip", fixture: "ipfire/geoip")
            try server.put("geoip6", fixture: "ipfire/geoip6")
            _ = try DataUpdater(cacheDirectory: cache, configuration: fast).run(ipfireSource(server))
            let ipv4Only = UpdateSource(format: .ipfire, files: [.init(url: server.url("geoip"))])
            // Every IPv6 address is lost: refused by default...
            let refused = #expect(throws: GeoFilterError.self) { try DataUpdater(cacheDirectory: cache, configuration: fast).run(ipv4Only) }
            #expect(refused?.message.contains("fewer IPv6 addresses") == true, "\(String(describing: refused))")
            // ...and accepted when the host allows it, rebuilt from the cached IPv4 file (a 304).
            var events: [UpdateEvent] = []
            let accepting = UpdateConfiguration(retries: 0, maximumCoverageLoss: 1, maximumCountryLoss: 1)
            let result = try DataUpdater(cacheDirectory: cache, configuration: accepting).run(ipv4Only, progress: { events.append($0) })
            #expect(result.outcome == .updated)
            #expect(events.contains(.notModified(url: server.url("geoip"))))
            let database = try #require(try DataCache(directory: cache).loadLastGood())
            #expect(database.lookup(try IPAddress(parsing: "2001:2::1")) == nil)
            #expect(database.lookup(try IPAddress(parsing: "1.0.1.1"))?.region == RegionCode(try Country(code: "CN")))
            #expect(try FileManager.default.contentsOfDirectory(atPath: cache + "/downloads") == ["geoip"])
        }
    }

    @Test("A 5xx answered once is retried with back-off; the retry is reported")
    func retries() throws {
        try withServer { server, cache in
            try server.put("geoip", fixture: "ipfire/geoip")
            try server.put("geoip6", fixture: "ipfire/geoip6")
            try server.misbehave(["geoip": "fail:1:503"])
            var events: [UpdateEvent] = []
            let result = try DataUpdater(cacheDirectory: cache, configuration: fast).run(ipfireSource(server), progress: { events.append($0) })
            #expect(result.outcome == .updated)
            #expect(events.contains(.retrying(url: server.url("geoip"), attempt: 1, delay: 0.01, reason: "HTTP 503")))
        }
    }

    @Test(
        "A redirect to a scheme other than http(s) is refused at once (not retried); the cache is unchanged",
        arguments: ["file:///etc/passwd", "ftp://127.0.0.1/geoip"])
    func redirectToOtherScheme(target: String) throws {
        try withServer { server, cache in
            try server.put("geoip", text: generatedIPv4(40))
            try server.put("geoip6", fixture: "ipfire/geoip6")
            let updater = DataUpdater(cacheDirectory: cache, configuration: fast)
            _ = try updater.run(ipfireSource(server))
            let before = snapshotOf(cache)
            try server.put("geoip", text: generatedIPv4(41))
            try server.misbehave(["geoip": "redirect:\(target)"])
            let error = #expect(throws: GeoFilterError.self) { try updater.run(ipfireSource(server)) }
            #expect(error?.code == .network, "\(String(describing: error))")
            #expect(error?.message.contains("only http and https") == true, "\(String(describing: error))")
            #expect(error?.underlying is HTTPClient.Failure)
            #expect(try server.requests().filter { $0.path == "/geoip" }.count == 2, "one request per run: no retry")
            #expect(snapshotOf(cache) == before)
        }
    }

    @Test(
        "libcurl is limited to http and https for the URL and every redirect, with the 7.85 string options and the older bitmasks",
        arguments: [HTTPClient.ProtocolOptions.automatic, .bitmask])
    func protocolRestriction(options: HTTPClient.ProtocolOptions) throws {
        try withServer { server, _ in
            try server.put("data", text: "served\n")
            try server.misbehave(["to-file": "redirect:file:///etc/passwd", "to-ftp": "redirect:ftp://127.0.0.1/data", "to-http": "redirect:/data"])
            let path = server.directory.appendingPathComponent("body").path
            func get(_ url: String) throws(HTTPClient.Failure) -> (HTTPClient.Response, String) {
                let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
                precondition(descriptor >= 0)
                defer { close(descriptor) }
                let request = HTTPClient.Request(
                    url: url, timeouts: .init(connect: 2, stall: 2, total: 10), maximumBytes: 1 << 20, protocolOptions: options)
                let response = try HTTPClient.get(request, to: descriptor) { _, _ in true }
                return (response, (try? String(contentsOfFile: path, encoding: .utf8)) ?? "")
            }
            // Allowed: http, and a redirect to http.
            for url in [server.url("data"), server.url("to-http")] {
                let (response, body) = try get(url)
                #expect(response.status == 200 && body == "served\n", "\(url)")
            }
            // Refused: another scheme, given directly or as a redirect; nothing is written.
            for url in ["file:///etc/passwd", "ftp://127.0.0.1/data", server.url("to-file"), server.url("to-ftp")] {
                let failure = #expect(throws: HTTPClient.Failure.self, "\(url)") { _ = try get(url) }
                #expect(failure?.kind == .refusedProtocol, "\(url): \(String(describing: failure))")
                #expect((try? String(contentsOfFile: path, encoding: .utf8)) == "", "\(url) wrote a body")
            }
        }
    }

    @Test("RIR files are checked against their .md5 (BSD and GNU styles); a wrong checksum is refused")
    func md5Checksums() throws {
        try withServer { server, cache in
            let name = "delegated-ripencc-extended-latest"
            try server.put(name, fixture: "rir/\(name)")
            let md5 = try runProcess("/usr/bin/md5sum", [TestPaths.fixture("rir/\(name)")]).standardOutput.prefix(32)
            try server.put(name + ".md5", text: "MD5 (\(name)) = \(md5)\n")
            let source = UpdateSource(format: .rir, files: [.init(url: server.url(name), checksum: .md5(url: server.url(name + ".md5")))])
            var events: [UpdateEvent] = []
            _ = try DataUpdater(cacheDirectory: cache, configuration: fast).run(source, progress: { events.append($0) })
            #expect(events.contains(.checksumVerified(url: server.url(name), algorithm: "md5")))
            // GNU style, dated name (ARIN), and then a wrong one.
            try server.put(name, text: String(decoding: try Data(contentsOf: URL(fileURLWithPath: TestPaths.fixture("rir/\(name)"))), as: UTF8.self) + "\n")
            let newMD5 = try runProcess("/usr/bin/md5sum", [server.directory.appendingPathComponent(name).path]).standardOutput.prefix(32)
            try server.put(name + ".md5", text: "\(newMD5)  delegated-ripencc-extended-20261123\n")
            _ = try DataUpdater(cacheDirectory: cache, configuration: fast).run(source)
            let before = snapshotOf(cache)
            try server.put(name, text: String(decoding: try Data(contentsOf: URL(fileURLWithPath: TestPaths.fixture("rir/\(name)"))), as: UTF8.self) + "\n\n")
            let error = #expect(throws: GeoFilterError.self) { try DataUpdater(cacheDirectory: cache, configuration: fast).run(source) }
            #expect(error?.message.contains("md5 checksum does not match") == true, "\(String(describing: error))")
            try server.put(name + ".md5", text: "<html>not found</html>\n")
            let html = #expect(throws: GeoFilterError.self) { try DataUpdater(cacheDirectory: cache, configuration: fast).run(source) }
            #expect(html?.message.contains("not a md5 checksum file") == true, "\(String(describing: html))")
            #expect(snapshotOf(cache) == before)
        }
    }

    @Test("MD5 matches md5sum")
    func md5MatchesMd5sum() throws {
        var generator = SystemRandomNumberGenerator()
        for length in [0, 1, 55, 56, 63, 64, 65, 1000, 70_000] {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let path = try TestPaths.temporaryFile("", name: "md5.bin")
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let expected = try runProcess("/usr/bin/md5sum", [path]).standardOutput.prefix(32)
            #expect(MD5.hex(bytes) == String(expected), "length \(length)")
        }
    }

    @Test("GeoLite2 CSV zip with a .sha256 and Basic authentication; ipdeny tar.gz bundles; DB-IP falls back to the previous month")
    func archivesAndNamedSources() throws {
        try withServer { server, cache in
            // A zip of the GeoLite2 fixture, as MaxMind publishes it, with its checksum file.
            let folder = TestPaths.fixture("geolite2")
            let zip = server.directory.appendingPathComponent("download").path
            let script = "import zipfile,sys,os\nz=zipfile.ZipFile(sys.argv[1],'w',zipfile.ZIP_DEFLATED)\nfor n in sorted(os.listdir(sys.argv[2]+'/GeoLite2-Country-CSV_20261120')): z.write(sys.argv[2]+'/GeoLite2-Country-CSV_20261120/'+n,'GeoLite2-Country-CSV_20261120/'+n)\nz.close()\n"
            #expect(try runProcess("/usr/bin/python3", ["-c", script, zip, folder]).status == 0)
            let digest = try runProcess("/usr/bin/sha256sum", [zip]).standardOutput.prefix(64)
            try server.put("download.sha256", text: "\(digest)  GeoLite2-Country-CSV_20261120.zip\n")
            try FileManager.default.moveItem(atPath: zip, toPath: zip + "-file")
            try server.misbehave([:])
            // The server serves paths, not queries: point both URLs at files.
            var source = UpdateSource.geoLite2Country(accountID: "123", licenceKey: "secret", url: server.url("download"))
            source.files[0].url = server.url("download-file")
            source.files[0].checksum = .sha256(url: server.url("download.sha256"))
            var events: [UpdateEvent] = []
            _ = try DataUpdater(cacheDirectory: cache, configuration: fast).run(source, progress: { events.append($0) })
            #expect(events.contains(.checksumVerified(url: server.url("download-file"), algorithm: "sha256")))
            let authorization = try server.requests().first?.headers["Authorization"]
            #expect(authorization == "Basic " + Data("123:secret".utf8).base64EncodedString())
            let geolite = try #require(try DataCache(directory: cache).loadLastGood())
            let direct = try GeoDatabase.load(.geoLite2CSV(directory: folder + "/GeoLite2-Country-CSV_20261120", country: .located))
            #expect(geolite.statistics == direct.statistics)
            #expect(geolite.provenance.version == "2026-11-20")
            #expect(try !String(contentsOfFile: cache + "/manifest.json", encoding: .utf8).contains("secret"))

            // ipdeny bundles: a tar.gz of zone files per family (plus a hostile member name).
            let bundle = "import tarfile,sys,io\nt=tarfile.open(sys.argv[1],'w:gz')\nfor src,name in zip(sys.argv[2::2],sys.argv[3::2]): t.add(src,arcname=name)\ndata=b'1.2.3.0/24\\n'\ninfo=tarfile.TarInfo('../../etc/evil.zone'); info.size=len(data); t.addfile(info,io.BytesIO(data))\nt.close()\n"
            let v4 = server.directory.appendingPathComponent("ipblocks/data/countries/all-zones.tar.gz").path
            let v6 = server.directory.appendingPathComponent("ipv6/ipaddresses/blocks/ipv6-all-zones.tar.gz").path
            try FileManager.default.createDirectory(atPath: (v4 as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: (v6 as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            #expect(try runProcess("/usr/bin/python3", ["-c", bundle, v4, TestPaths.fixture("ipdeny/ch.zone"), "ch.zone", TestPaths.fixture("ipdeny/ad-aggregated.zone"), "ad.zone"]).status == 0)
            #expect(try runProcess("/usr/bin/python3", ["-c", bundle, v6, TestPaths.fixture("ipdeny/ipv6/ad.zone"), "ad.zone"]).status == 0)
            let ipdenyCache = cache + "-ipdeny"
            defer { try? FileManager.default.removeItem(atPath: ipdenyCache) }
            _ = try DataUpdater(cacheDirectory: ipdenyCache, configuration: fast).run(.ipdenyAllZones(baseURL: "http://127.0.0.1:\(server.port)"))
            let zones = try #require(try DataCache(directory: ipdenyCache).loadLastGood())
            #expect(zones.countries.map(\.alpha2) == ["AD", "CH"])
            #expect(zones.addresses(of: try Country(code: "AD")).rangeCount(.ipv6) > 0)
            #expect(zones.lookup(try IPAddress(parsing: "1.2.3.4")) == nil)  // the hostile member was skipped

            // DB-IP: this month's file is not out yet (404), the previous month's is used.
            try server.put("free/dbip-country-lite-2026-10.csv.gz", fixture: "dbip/dbip-country-lite-2026-11.csv.gz")
            let dbipCache = cache + "-dbip"
            defer { try? FileManager.default.removeItem(atPath: dbipCache) }
            let dbip = try DataUpdater(cacheDirectory: dbipCache, configuration: fast)
                .run(.dbipLite(year: 2026, month: 11, baseURL: "http://127.0.0.1:\(server.port)/free"))
            #expect(dbip.manifest.files.first?.url == server.url("free/dbip-country-lite-2026-10.csv.gz"))
            #expect(dbip.manifest.provenance.version == "2026-10")
        }
    }

    @Test("The async sequence delivers the same events, ending with finished")
    func asyncSequence() async throws {
        let server = try UpdateServer()
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("gf-cache-\(UUID().uuidString)").path
        defer {
            server.stop()
            try? FileManager.default.removeItem(atPath: cache)
        }
        try server.put("geoip", fixture: "ipfire/geoip")
        try server.put("geoip6", fixture: "ipfire/geoip6")
        var kinds: [String] = []
        for try await event in DataUpdater(cacheDirectory: cache, configuration: fast).updates(ipfireSource(server)) {
            switch event {
            case .requesting: kinds.append("requesting")
            case .downloaded: kinds.append("downloaded")
            case .validated: kinds.append("validated")
            case .finished(let result): kinds.append("finished \(result.outcome.rawValue)")
            default: break
            }
        }
        #expect(kinds == ["requesting", "downloaded", "requesting", "downloaded", "validated", "finished updated"])
    }

    @Test("A corrupt cache is detected; the bundled database is used instead")
    func corruptCache() throws {
        try withServer { server, cache in
            try server.put("geoip", fixture: "ipfire/geoip")
            try server.put("geoip6", fixture: "ipfire/geoip6")
            let result = try DataUpdater(cacheDirectory: cache, configuration: fast).run(ipfireSource(server))
            BundledSnapshot.register(path: TestPaths.root + "/Sources/GeoFilterBundledData/Resources/geofilter-bundled.gfsnap")
            guard case .cache = try DataCache.load(directory: cache).origin else {
                Issue.record("expected the cached copy")
                return
            }
            let snapshot = cache + "/" + result.manifest.snapshot
            var bytes = try Data(contentsOf: URL(fileURLWithPath: snapshot))
            bytes[bytes.count / 2] ^= 0xFF
            try bytes.write(to: URL(fileURLWithPath: snapshot))
            let loaded = try DataCache.load(directory: cache)
            guard case .bundledUnusableCache(let reason) = loaded.origin else {
                Issue.record("expected the bundled fallback, got \(loaded.origin)")
                return
            }
            #expect(reason.contains("does not match"))
            #expect(loaded.database.provenance.sourceName == "IPFire Location")
            try "{ not json".write(toFile: cache + "/manifest.json", atomically: true, encoding: .utf8)
            guard case .bundledUnusableCache(let manifestReason) = try DataCache.load(directory: cache).origin else {
                Issue.record("expected the bundled fallback for a corrupt manifest")
                return
            }
            #expect(manifestReason.contains("manifest is corrupt"))
            // An update over a corrupt cache starts afresh and repairs it.
            #expect(try DataUpdater(cacheDirectory: cache, configuration: fast).run(ipfireSource(server)).outcome == .updated)
            guard case .cache = try DataCache.load(directory: cache).origin else {
                Issue.record("expected the repaired cache")
                return
            }
        }
    }

    @Test("The weekly schedule: Sunday 03:00 by default, a missed run is due at once")
    func schedule() throws {
        let schedule = UpdateSchedule.weekly
        let monday = try #require(CivilDate.epochSeconds(year: 2026, month: 11, day: 23, hour: 16))
        let sunday = try #require(CivilDate.epochSeconds(year: 2026, month: 11, day: 29, hour: 3))
        #expect(schedule.occurrence(after: monday) == sunday)
        #expect(schedule.occurrence(after: sunday) == sunday + 7 * 86_400)
        #expect(schedule.occurrence(after: sunday - 1) == sunday)
        #expect(schedule.nextRun(lastSuccess: nil, now: monday) == monday)
        #expect(schedule.isDue(lastSuccess: monday - 14 * 86_400, now: monday))
        #expect(!schedule.isDue(lastSuccess: monday - 3600, now: monday))
        // Local time: 03:00 at UTC+2 is 01:00 UTC; Friday.
        let friday = UpdateSchedule(weekday: .friday, hour: 3, minute: 30, utcOffset: 7200)
        #expect(friday.occurrence(after: monday) == (try #require(CivilDate.epochSeconds(year: 2026, month: 11, day: 27, hour: 1, minute: 30))))
    }

    @Test("Update SPECs", arguments: [
        ("dbip-lite:2026-01", "dbip-lite:2026-01"), ("rir", "rir"), ("rir:arin,ripencc", "rir:arin,ripencc"), ("ipdeny", "ipdeny"),
        ("ipdeny:cn,ru", "ipdeny:cn,ru"), ("dbip-csv:https://example.org/d.csv.gz", "dbip-csv:https://example.org/d.csv.gz"),
    ])
    func specs(spec: String, description: String) throws {
        #expect(try UpdateSource(spec: spec, now: 0).description == description)
    }

    @Test("Bad update SPECs are refused with the forms that exist")
    func badSpecs() {
        for spec in ["dbip-lite:2026-13", "rir:nic", "ftp:x", "ipfire:http://a/1,http://a/2,http://a/3", "ipdeny:zz9"] {
            let error = #expect(throws: GeoFilterError.self) { try UpdateSource(spec: spec, now: 0) }
            #expect(error?.message.contains("not an update source") == true, "\(spec)")
        }
        let missing = #expect(throws: GeoFilterError.self) { try UpdateSource(spec: "geolite2", now: 0) }
        #expect(missing?.message.contains("licence key") == true)
    }
}
