internal import CNetfilterShim
#if canImport(Glibc)
import Glibc
#endif

/// The thin Swift wrapper over the shim's process runner: runs a helper program to its end
/// (posix_spawn, poll, waitpid) and keeps the C strings and buffers inside this file.
enum ProgramRunner {
    /// What a program printed and how it ended.
    struct Result {
        var status: Int32
        var output: String
        var errors: String
    }

    /// Runs `path` with `arguments`, feeding `input` on standard input.
    static func run(_ path: String, _ arguments: [String], input: String?) throws(GeoFilterError) -> Result {
        let copies = ([path] + arguments).map { strdup($0) }
        defer { for pointer in copies { free(pointer) } }
        guard !copies.contains(nil) else {
            throw GeoFilterError.system(.outOfMemory, "cannot pass the arguments of \(path)", errno: ENOMEM)
        }
        let argv = copies + [nil]
        var output = CNetfilterShim_output()
        var errors = CNetfilterShim_output()
        defer {
            CNetfilterShim_output_free(&output)
            CNetfilterShim_output_free(&errors)
        }
        var exitStatus: Int32 = 0
        var errorNumber: Int32 = 0
        let bytes = Array((input ?? "").utf8)
        let result = argv.withUnsafeBufferPointer { argvBuffer in
            bytes.withUnsafeBufferPointer { inputBuffer in
                CNetfilterShim_run_process(
                    path, argvBuffer.baseAddress!, inputBuffer.baseAddress, inputBuffer.count, &output, &errors, &exitStatus, &errorNumber)
            }
        }
        switch result {
        case .ok: break
        case .pipeFailed: throw GeoFilterError.system(.program, "cannot make the pipes to run \(path)", errno: errorNumber)
        case .spawnFailed: throw GeoFilterError.system(.program, "cannot start \(path)", errno: errorNumber)
        case .ioFailed: throw GeoFilterError.system(.program, "cannot exchange data with \(path)", errno: errorNumber)
        case .outOfMemory: throw GeoFilterError.system(.outOfMemory, "cannot store the output of \(path)", errno: errorNumber)
        case .waitFailed: throw GeoFilterError.system(.program, "cannot wait for \(path) to end", errno: errorNumber)
        }
        return Result(status: exitStatus, output: text(output), errors: text(errors))
    }

    private static func text(_ buffer: CNetfilterShim_output) -> String {
        guard let bytes = buffer.bytes else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: bytes, count: buffer.length), as: UTF8.self)
    }
}
