import Foundation
import SystemPackage
import Testing

@testable import GeoFilterCore

@Suite("The C shim links libipset, libnftnl and libmnl")
struct NetfilterLibrariesTests {
    @Test("Each library resolves to a loaded shared object")
    func linked() throws {
        let libraries = NetfilterLibraries.loaded
        for (name, path) in [("libipset.so", libraries.ipsetPath), ("libnftnl.so", libraries.nftnlPath), ("libmnl.so", libraries.mnlPath)] {
            let resolved = try #require(path, "\(name) not resolved")
            #expect(resolved.contains(name), "\(resolved)")
            #expect(FileManager.default.fileExists(atPath: resolved))
        }
        #expect(libraries.ipsetProtocolVersion >= 6)
        #expect(libraries.nftablesSubsystemID == 10)  // NFNL_SUBSYS_NFTABLES in the uapi
    }
}

@Suite("The C shim's helper program runner and zlib streams report failures as codes")
struct ShimHelpersTests {
    @Test("A program that cannot be started is .program with its errno; one that ignores its input ends normally")
    func programs() throws {
        let missing = #expect(throws: GeoFilterError.self) { try ProgramRunner.run("/nonexistent/iptables-restore", [], input: nil) }
        #expect(missing?.code == .program && missing?.errno?.rawValue == ENOENT, "\(String(describing: missing))")
        #expect(missing?.message.contains("cannot start /nonexistent/iptables-restore") == true)
        // 4 MiB of input the program never reads: the write ends with EPIPE, not a SIGPIPE.
        let ignored = try ProgramRunner.run("/bin/sh", ["-c", "echo out; echo err >&2; exit 3"], input: String(repeating: "x", count: 4 << 20))
        #expect(ignored.status == 3 && ignored.output == "out\n" && ignored.errors == "err\n")
        let echoed = try ProgramRunner.run("/bin/cat", [], input: "a line\n")
        #expect(echoed.status == 0 && echoed.output == "a line\n")
        // Started with default signal actions and nothing blocked, whatever this process has.
        let killed = try ProgramRunner.run("/bin/sh", ["-c", "kill -TERM $$"], input: nil)
        #expect(killed.status == 128 + SIGTERM)
    }

    @Test("zlib and raw deflate round-trip; corrupt data is .invalidInput")
    func zlibStreams() throws {
        let text = Array(String(repeating: "GeoFilter 1.0.0.0/24 CN\n", count: 1000).utf8)
        let packed = try Inflater.deflateAll(text)
        #expect(packed.count < text.count)
        #expect(try Inflater.inflateAll(packed, expectedLength: text.count) == text)
        #expect(try Inflater.inflateAll(packed, limit: text.count) == text)
        // The zlib stream without its 2-byte header and 4-byte trailer is raw deflate.
        let raw = Array(packed.dropFirst(2).dropLast(4))
        #expect(try Inflater.inflateAll(raw, expectedLength: text.count, format: .rawDeflate) == text)
        var corrupt = packed
        corrupt[1] ^= 0xFF  // a header check that fails
        let error = #expect(throws: GeoFilterError.self) { try Inflater.inflateAll(corrupt, expectedLength: text.count) }
        #expect(error?.code == .invalidInput, "\(String(describing: error))")
        let tooBig = #expect(throws: GeoFilterError.self) { try Inflater.inflateAll(packed, limit: 100) }
        #expect(tooBig?.code == .limitExceeded)
    }
}
