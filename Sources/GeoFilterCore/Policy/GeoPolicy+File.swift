internal import Foundation

extension GeoPolicy {
    /// The largest policy file read (a policy is a few kilobytes; this leaves room for long
    /// network lists).
    public static let fileSizeLimit = 4 << 20

    /// Reads a policy from a JSON file (the form `GeoPolicy` encodes to).
    ///
    /// The file must be a regular file of at most ``fileSizeLimit`` bytes: a FIFO, a device or
    /// a huge file is refused before anything is read.
    ///
    /// - Throws: ``GeoFilterError`` naming the file: `.file` when it cannot be read, is not a
    ///   regular file; `.limitExceeded` when it is too large; `.invalidInput` with the decoding
    ///   problem when it is not a policy.
    public static func load(path: String) throws(GeoFilterError) -> GeoPolicy {
        let bytes = try RegularFile.read(path, limit: fileSizeLimit)
        do {
            return try JSONDecoder().decode(GeoPolicy.self, from: Data(bytes))
        } catch {
            throw GeoFilterError(.invalidInput, "not a valid policy: \(DecodingProblem(error))", location: .init(path: path))
        }
    }
}

/// A decoding error as one readable sentence: what is wrong and at which key.
private struct DecodingProblem: CustomStringConvertible {
    let error: any Error
    init(_ error: any Error) { self.error = error }

    var description: String {
        guard let decoding = error as? DecodingError else { return "\(error)" }
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            return keys.isEmpty ? "" : " at \(keys.joined(separator: "."))"
        }
        switch decoding {
        case .dataCorrupted(let context): return "\(context.debugDescription)\(path(context))"
        case .keyNotFound(let key, let context): return "the key \"\(key.stringValue)\" is missing\(path(context))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context): return "\(context.debugDescription)\(path(context))"
        @unknown default: return "\(decoding)"
        }
    }
}
