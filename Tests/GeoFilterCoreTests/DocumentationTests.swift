import Foundation
import Testing

/// The DocC catalog lists the whole public API: every public top-level type, typealias and
/// function of GeoFilterCore appears in a `## Topics` group (members are listed on their type's
/// page by DocC itself).
@Suite struct DocumentationTests {
    /// `public struct Name`, `public enum Name`, ... at the start of a line (top level).
    private static let declaration = try! NSRegularExpression(
        pattern: #"^public (?:final )?(?:struct|enum|class|protocol|actor|typealias|func) ([A-Za-z_][A-Za-z0-9_]*)"#,
        options: [.anchorsMatchLines])

    private func publicTopLevelNames() throws -> Set<String> {
        let folder = TestPaths.root + "/Sources/GeoFilterCore"
        var names: Set<String> = []
        let files = try #require(FileManager.default.enumerator(atPath: folder)).compactMap { $0 as? String }
        for file in files where file.hasSuffix(".swift") {
            let text = try String(contentsOfFile: folder + "/" + file, encoding: .utf8)
            for match in Self.declaration.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                names.insert(String(text[Range(match.range(at: 1), in: text)!]))
            }
        }
        return names
    }

    @Test func everyPublicTypeIsInTheTopics() throws {
        let catalog = try String(
            contentsOfFile: TestPaths.root + "/Sources/GeoFilterCore/Docs.docc/GeoFilterCore.md", encoding: .utf8)
        let topics = try #require(catalog.range(of: "## Topics")).upperBound
        let listed = catalog[topics...]
        let names = try publicTopLevelNames()
        #expect(names.count > 40, "found only \(names.sorted())")
        let missing = names.filter { !listed.contains("- ``\($0)``") }.sorted()
        #expect(missing.isEmpty, "public symbols missing from the DocC topics: \(missing)")
    }
}
