public import SystemPackage

/// The error GeoFilter throws: what went wrong, where, and the underlying cause.
///
/// Errors compare equal when their ``code`` is equal, so callers can match on the kind of
/// failure (`error.code == .invalidInput`) without depending on the wording.
public struct GeoFilterError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The kind of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case invalidInput, limitExceeded, file, network, namespace, cancelled, kernel, permission, program,
                outOfMemory, busy, unsupported
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The input (a data file, an argument) is not valid.
        public static let invalidInput = Code(.invalidInput)
        /// The input is larger than GeoFilter accepts (a line too long, too many rows).
        public static let limitExceeded = Code(.limitExceeded)
        /// Reading, writing, creating or renaming a file or directory failed.
        public static let file = Code(.file)
        /// A download failed: connection, timeout, an HTTP error status, a bad checksum.
        public static let network = Code(.network)
        /// The network namespace to work in does not exist or cannot be entered.
        public static let namespace = Code(.namespace)
        /// The caller cancelled the operation; nothing was changed.
        public static let cancelled = Code(.cancelled)
        /// A helper program (`iptables-restore`, ...) could not be run or failed.
        public static let program = Code(.program)
        /// Memory ran out (a decompressor or a C library could not allocate).
        public static let outOfMemory = Code(.outOfMemory)
        /// Another process or thread holds the lock for this change (another apply is in
        /// progress in the same namespace); nothing was changed.
        public static let busy = Code(.busy)
        /// The request cannot be served on this system or with this input.
        public static let unsupported = Code(.unsupported)
        /// The kernel refused a change (the previous state stays in force) or cannot be reached.
        public static let kernel = Code(.kernel)
        /// The process lacks a privilege (CAP_NET_ADMIN) or a file permission.
        public static let permission = Code(.permission)

        public var description: String { base.rawValue }
    }

    /// Where in an input file the problem is.
    public struct Location: Hashable, Sendable, CustomStringConvertible {
        /// The file's path as given (`-` or `<stdin>` for standard input).
        public var path: String
        /// The 1-based line number, when the problem is on one line.
        public var line: Int?
        /// The field of the row, when known (`start`, `country`, ...).
        public var field: String?

        public init(path: String, line: Int? = nil, field: String? = nil) {
            self.path = path
            self.line = line
            self.field = field
        }

        public var description: String {
            var text = path
            if let line { text += ":\(line)" }
            if let field { text += " (field \(field))" }
            return text
        }
    }

    /// The kind of failure.
    public var code: Code
    /// One sentence: what is wrong and, where it helps, what to do.
    public var message: String
    /// The file, line and field concerned, for input errors.
    public var location: Location?
    /// The error that caused this one, if any.
    public var underlying: (any Error & Sendable)?
    /// The system error number behind the failure, when a system call or C library gave one.
    public var errno: Errno?

    /// - Parameters:
    ///   - code: the kind of failure.
    ///   - message: one sentence: what is wrong and, where it helps, what to do.
    ///   - location: the file, line and field concerned.
    ///   - errno: the system error number behind it, if any.
    ///   - underlying: the error that caused this one, if any.
    public init(
        _ code: Code, _ message: String, location: Location? = nil, errno: Errno? = nil,
        underlying: (any Error & Sendable)? = nil
    ) {
        self.code = code
        self.message = message
        self.location = location
        self.errno = errno
        self.underlying = underlying ?? errno
    }

    /// An error from a failed system call: the message is followed by the system's text for
    /// `errno` ("cannot open the file: No such file or directory").
    static func system(
        _ code: Code, _ message: String, errno number: Int32, location: Location? = nil
    ) -> GeoFilterError {
        let errno = Errno(rawValue: number)
        return GeoFilterError(code, "\(message): \(errno.description)", location: location, errno: errno)
    }

    /// `path:line: message`, or just the message when no file is concerned.
    ///
    /// Control characters that came from input (a file's bytes, a path) are shown escaped
    /// (`\u{1B}`), so printing an error can never drive the terminal it is printed on.
    public var description: String {
        let text = location.map { "\($0): \(message)" } ?? message
        return text.escapedForMessage(limit: .max)
    }

    public static func == (lhs: GeoFilterError, rhs: GeoFilterError) -> Bool { lhs.code == rhs.code }
}
