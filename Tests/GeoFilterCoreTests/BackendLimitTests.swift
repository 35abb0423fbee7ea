import Foundation
import SystemPackage
import Testing

@testable import GeoFilterCore

/// Socket buffers too small for the nf_tables batch, and an ipset set at its size limit: each
/// fails cleanly (or, where the kernel committed, says so), never with a third state in force.
@Suite("Buffers too small, sets full: clean outcomes (real kernel)", .enabled(if: ScratchNamespace.enabled, ScratchNamespace.skipReason))
struct BackendLimitTests {
    @Test("nftables: a send buffer too small for the batch fails before anything is sent (old plan in force); replies lost to a small receive buffer (ENOBUFS) do not hide a committed batch")
    func nftablesBuffers() throws {
        let plans = try killPlans.get()
        let link = try KillLink()
        defer { link.delete() }
        let small = plans["small"]!, big = plans["allow"]!
        var backend = NftablesBackend(namespace: .named(link.server))
        _ = try backend.apply(small.plan)

        backend.injectBufferLimit = (send: 32_768, receive: 0)
        let error = #expect(throws: GeoFilterError.self) { try backend.apply(big.plan) }
        #expect(error?.errno == .messageTooLong || error?.errno == .noBufferSpace, "\(String(describing: error))")
        #expect(try backend.status().digest == small.plan.digest)
        var dropped = link.dropped([KillLink.cn4, KillLink.in4, KillLink.in6, KillLink.us4])
        #expect(dropped == [KillLink.cn4: true, KillLink.in4: false, KillLink.in6: false, KillLink.us4: false], "\(dropped)")

        backend.injectBufferLimit = (send: 0, receive: 4_096)
        let outcome = try backend.apply(big.plan)
        #expect(outcome == .applied(digest: big.plan.digest))
        #expect(try backend.status().digest == big.plan.digest)
        dropped = link.dropped([KillLink.cn4, KillLink.in4, KillLink.in6, KillLink.us4])
        #expect(dropped == [KillLink.cn4: true, KillLink.in4: true, KillLink.in6: true, KillLink.us4: false], "\(dropped)")
        backend.injectBufferLimit = nil
        #expect(try backend.apply(big.plan) == .unchanged(digest: big.plan.digest))
        _ = try backend.remove()
    }

    @Test("ipset: a set at its size limit (Hash is full) while filling leaves the old plan in force, no marker, no leftovers")
    func ipsetHashFull() throws {
        let plans = try killPlans.get()
        let link = try KillLink()
        defer { link.delete() }
        let small = plans["small"]!, big = plans["allow"]!
        var backend = IPSetBackend(namespace: .named(link.server))
        _ = try backend.apply(small.plan)
        backend.injectFillFault = true
        let error = #expect(throws: GeoFilterError.self) { try backend.apply(big.plan) }
        #expect((error?.underlying as? IPSetFailure)?.kind == .hashFull, "\(String(describing: error))")
        let status = try backend.status()
        #expect(status.digest == small.plan.digest && status.state == .enforced && status.pendingDigest == nil && status.leftovers.isEmpty, "\(status)")
        let dropped = link.dropped([KillLink.cn4, KillLink.cn6, KillLink.in4, KillLink.in6, KillLink.us4])
        #expect(dropped == [KillLink.cn4: true, KillLink.cn6: true, KillLink.in4: false, KillLink.in6: false, KillLink.us4: false], "\(dropped)")
        backend.injectFillFault = false
        #expect(try backend.apply(big.plan) == .applied(digest: big.plan.digest))
        _ = try backend.remove()
    }
}
