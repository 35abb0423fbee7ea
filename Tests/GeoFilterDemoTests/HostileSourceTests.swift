import Foundation
import GeoFilterTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `--source` pointing at a device, a FIFO or a huge file ends at once with an error that says
/// why (before the fix, `snapshot:/dev/zero` read until memory ran out).
@Suite("geofilter-demo: hostile --source files end at once")
struct HostileSourceTests {
    @Test("Devices, a FIFO and 2 GB sparse files are refused", arguments: ["snapshot", "dbip-csv", "rir", "ipfire"])
    func refused(kind: String) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("geofilter-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let fifo = folder + "/fifo"
        try #require(mkfifo(fifo, 0o600) == 0)
        let sparse = folder + "/sparse"
        #expect(FileManager.default.createFile(atPath: sparse, contents: Data("GEOFSNAP".utf8)))
        #expect(truncate(sparse, 2 << 30) == 0)

        for (path, phrase) in [
            ("/dev/zero", "is not a regular file (a character device)"), ("/dev/urandom", "is not a regular file"),
            (fifo, "is not a regular file (a FIFO or pipe)"),
        ] {
            let result = try DemoProcess.demo(["info", "--source", "\(kind):\(path)"])
            #expect(result.status != 0)
            #expect(result.standardError.contains("\(path): \(phrase)"), "\(result.standardError)")
        }
        if kind == "snapshot" {
            let result = try DemoProcess.demo(["info", "--source", "snapshot:\(sparse)"])
            #expect(result.status != 0)
            #expect(result.standardError.contains("more than the 67108864 accepted"), "\(result.standardError)")
        }
    }
}
