public import Foundation

/// The loopback DNS server of `Scripts/test-dns-server.py`, answering from a zone file in a
/// scratch directory (re-read per question, so ``setZone(_:)`` changes answers at once).
/// Started by a test, stopped (and its directory deleted) by ``stop()``.
public final class DNSServer {
    public let directory: URL
    public let port: Int
    private let process: Process

    public var zoneFile: URL { directory.appendingPathComponent("zone") }

    /// `127.0.0.1:PORT`, for `--nameserver` and `DNSResolver.Nameserver(parsing:)`.
    public var address: String { "127.0.0.1:\(port)" }

    public init(zone: String) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("gf-dns-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data(zone.utf8).write(to: directory.appendingPathComponent("zone"))
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [UpdateServer.root + "/Scripts/test-dns-server.py", directory.appendingPathComponent("zone").path]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        var line = Data()
        while !line.contains(10) {
            let byte = output.fileHandleForReading.readData(ofLength: 1)
            guard !byte.isEmpty else { throw UpdateServer.Failure(description: "the test DNS server did not start") }
            line.append(byte)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw UpdateServer.Failure(description: "the test DNS server printed no port")
        }
        self.port = port
    }

    /// Replaces the zone (atomically: a question never sees half a file).
    public func setZone(_ zone: String) throws {
        try Data(zone.utf8).write(to: zoneFile, options: .atomic)
    }

    /// The questions so far: (transport, id, name, type).
    public func questions() -> [(transport: String, id: Int, name: String, type: String)] {
        guard let text = try? String(contentsOf: directory.appendingPathComponent("zone.log"), encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ").map(String.init)
            guard fields.count == 4, let id = Int(fields[1]) else { return nil }
            return (fields[0], id, fields[2], fields[3])
        }
    }

    public func stop() {
        // Not waitUntilExit: Foundation's Process was seen to miss a child's exit and wait forever.
        kill(process.processIdentifier, SIGKILL)
        for _ in 0..<100 where process.isRunning { usleep(20_000) }
        try? FileManager.default.removeItem(at: directory)
    }
}
