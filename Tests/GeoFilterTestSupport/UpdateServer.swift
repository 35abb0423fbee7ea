public import Foundation

/// The loopback HTTP server of `Scripts/test-http-server.py`, serving a scratch directory.
/// Started by a test, stopped (and its directory deleted) by ``stop()``. Shared by the test targets.
public final class UpdateServer {
    public let directory: URL
    public let port: Int
    private let process: Process

    /// The checkout's root directory.
    public static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("gf-http-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [Self.root + "/Scripts/test-http-server.py", directory.path]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        var line = Data()
        while !line.contains(10) {
            let byte = output.fileHandleForReading.readData(ofLength: 1)
            guard !byte.isEmpty else { throw Failure(description: "the test HTTP server did not start") }
            line.append(byte)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw Failure(description: "the test HTTP server printed no port")
        }
        self.port = port
    }

    public func stop() {
        // Not waitUntilExit: Foundation's Process was seen to miss a child's exit and wait forever.
        kill(process.processIdentifier, SIGKILL)
        for _ in 0..<100 where process.isRunning { usleep(20_000) }
        try? FileManager.default.removeItem(at: directory)
    }

    public func url(_ path: String) -> String { "http://127.0.0.1:\(port)/\(path)" }

    /// Serves `contents` at `path`.
    public func put(_ path: String, _ contents: Data) throws {
        let file = directory.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try contents.write(to: file)
    }

    public func put(_ path: String, text: String) throws { try put(path, Data(text.utf8)) }

    /// Copies a fixture (a path under `Fixtures/`) to `path`.
    public func put(_ path: String, fixture: String) throws {
        try put(path, Data(contentsOf: URL(fileURLWithPath: Self.root + "/Fixtures/" + fixture)))
    }

    /// Makes `path` misbehave (see the script's documentation).
    public func misbehave(_ behaviours: [String: String]) throws {
        try put("behaviour.json", JSONSerialization.data(withJSONObject: behaviours.reduce(into: [String: String]()) { $0["/" + $1.key] = $1.value }))
    }

    /// The requests so far: path and headers.
    public func requests() throws -> [(path: String, headers: [String: String])] {
        let log = directory.appendingPathComponent("requests.log")
        guard let text = try? String(contentsOf: log, encoding: .utf8) else { return [] }
        return try text.split(separator: "\n").map { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
            return (object["path"] as? String ?? "", object["headers"] as? [String: String] ?? [:])
        }
    }
}
