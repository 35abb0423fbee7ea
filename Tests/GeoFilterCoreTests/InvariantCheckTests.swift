@testable import GeoFilterCore
import Testing

/// Debug builds (the tests') compile the library with GEOFILTER_INTERNAL_CHECKS, so its data
/// structures check their invariants on every construction and set operation.
@Suite struct InvariantCheckTests {
    @Test func aNonCanonicalRangeListStopsTheProcess() async {
        await #expect(processExitsWith: .failure) {
            // Overlapping ranges handed over as if canonical.
            _ = RangeList<UInt32>(canonicalLows: [1, 5], highs: [6, 9])
        }
    }

    @Test func aCanonicalRangeListPasses() {
        let list = RangeList<UInt32>(canonicalLows: [1, 8], highs: [6, 9])
        #expect(list.count == 2)
    }
}
