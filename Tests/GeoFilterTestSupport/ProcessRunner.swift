public import Foundation

/// What a program printed and how it ended.
public struct ProcessResult: Sendable {
    public var status: Int32
    public var standardOutput: String
    public var standardError: String
}

/// Runs a program to its end, feeding `input` on standard input and reading both output pipes
/// while it runs (so a large output cannot block it). Shared by the test targets.
public func runProcess(_ program: String, _ arguments: [String], input: String? = nil) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: program)
    process.arguments = arguments
    let output = Pipe()
    let error = Pipe()
    let stdin = Pipe()
    process.standardOutput = output
    process.standardError = error
    process.standardInput = stdin
    try process.run()
    let group = DispatchGroup()
    nonisolated(unsafe) var outData = Data()
    nonisolated(unsafe) var errData = Data()
    DispatchQueue.global().async(group: group) { outData = output.fileHandleForReading.readDataToEndOfFile() }
    DispatchQueue.global().async(group: group) { errData = error.fileHandleForReading.readDataToEndOfFile() }
    if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
    try stdin.fileHandleForWriting.close()
    group.wait()
    return ProcessResult(
        status: waitForExit(process), standardOutput: String(decoding: outData, as: UTF8.self),
        standardError: String(decoding: errData, as: UTF8.self))
}

/// The exit status of a started process. Reaps it with waitpid rather than `waitUntilExit`,
/// which was seen to miss a child's exit and wait forever; falls back to Foundation's status
/// when Foundation reaped the child first.
public func waitForExit(_ process: Process) -> Int32 {
    var status: Int32 = 0
    var result: Int32
    repeat { result = waitpid(process.processIdentifier, &status, 0) } while result < 0 && errno == EINTR
    if result == process.processIdentifier {
        let signal = status & 0x7F
        return signal == 0 ? (status >> 8) & 0xFF : 128 + signal
    }
    while process.isRunning { usleep(1000) }
    return process.terminationStatus
}
