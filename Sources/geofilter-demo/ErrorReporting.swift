import ArgumentParser
import GeoFilterCore

/// Runs `body`; a ``GeoFilterError`` becomes one line on standard error and exit status 1.
func reportingErrors(_ body: () throws(GeoFilterError) -> Void) throws {
    do {
        try body()
    } catch {
        try? FileOutput.standardError.write("geofilter-demo: error: \(error)\n")
        throw ExitCode.failure
    }
}
