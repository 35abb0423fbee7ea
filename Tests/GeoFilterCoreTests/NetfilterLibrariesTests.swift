import Foundation
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
