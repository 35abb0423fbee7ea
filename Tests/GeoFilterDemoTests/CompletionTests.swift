import Foundation
import GeoFilterTestSupport
import Testing

/// Shell completions come from swift-argument-parser and know every subcommand.
@Suite struct CompletionTests {
    @Test(arguments: ["bash", "zsh", "fish"])
    func completionScriptNamesTheSubcommands(shell: String) throws {
        let result = try DemoProcess.demo(["--generate-completion-script", shell])
        #expect(result.status == 0, "\(result.standardError)")
        for command in ["countries", "lookup", "aggregate", "plan", "explain", "apply", "status", "remove", "update"] {
            #expect(result.standardOutput.contains(command), "\(shell) completion lacks \(command)")
        }
        #expect(result.standardOutput.contains("backend"))
    }
}
