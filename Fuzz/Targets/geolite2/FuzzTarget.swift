import FuzzSupport

/// libFuzzer's entry point: one input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzTargets.geolite2(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

#if !FUZZING
/// Without libFuzzer (built without `-DFUZZING`): replays the files, or folders of files,
/// given as arguments.
@main enum Replay {
    static func main() { replay(CommandLine.arguments.dropFirst(), FuzzTargets.geolite2) }
}
#endif
