internal import CNetfilterShim
#if canImport(Glibc)
import Glibc
#endif

/// The thin Swift wrapper over the shim's libcurl download: one blocking GET whose body goes to
/// a file descriptor, with conditional-request headers, timeouts, a size limit and progress.
enum HTTPClient {
    struct Request {
        var url: String
        var headers: [String] = []
        /// "user:password" for HTTP Basic authentication.
        var credentials: String?
        var timeouts: UpdateConfiguration.Timeouts
        var maximumBytes: UInt64
        /// How libcurl is told to use http and https only (tests force the pre-7.85 options).
        var protocolOptions: ProtocolOptions = .automatic
    }

    /// The libcurl options that limit the request and its redirects to http and https.
    enum ProtocolOptions {
        /// The string options on libcurl 7.85 and later, else the bitmask ones.
        case automatic
        /// CURLOPT_PROTOCOLS / CURLOPT_REDIR_PROTOCOLS, which libcurl before 7.85 needs.
        case bitmask
    }

    struct Response {
        var status: Int
        var etag: String?
        var lastModified: String?
    }

    /// Why a transfer did not complete.
    struct Failure: Error {
        enum Kind {
            /// libcurl is missing or cannot be initialised.
            case library
            /// libcurl refused an option the transfer needs.
            case setup
            case outOfMemory
            /// The URL or a redirect uses a scheme other than http and https.
            case refusedProtocol
            /// Connecting or transferring failed (worth retrying).
            case transport
            /// A time limit passed (worth retrying).
            case timeout
            case tooLarge
            /// Writing the body failed (``errno``).
            case write
            case cancelled
        }
        var kind: Kind
        var message: String
        /// The errno of a failed write.
        var errno: Int32?
    }

    /// Carries the progress closure through libcurl's C callback.
    private final class ProgressBox {
        let report: (UInt64, UInt64?) -> Bool
        init(_ report: @escaping (UInt64, UInt64?) -> Bool) { self.report = report }
    }

    /// Downloads `request.url` into `descriptor`. `progress(received, total)` returns false to cancel.
    static func get(
        _ request: Request, to descriptor: Int32, progress: @escaping (UInt64, UInt64?) -> Bool
    ) throws(Failure) -> Response {
        let box = ProgressBox(progress)
        let context = Unmanaged.passRetained(box)
        defer { context.release() }
        var response = CNetfilterShim_http_response()
        let result = request.headers.withCStrings { headers in
            request.url.withCString { url in
                withOptionalCString(request.credentials) { credentials in
                    var raw = CNetfilterShim_http_request(
                        url: url, headers: headers, header_count: request.headers.count, user_password: credentials,
                        output_fd: descriptor, connect_timeout_ms: Int(request.timeouts.connect * 1000),
                        total_timeout_ms: Int(request.timeouts.total * 1000), stall_seconds: Int(request.timeouts.stall.rounded(.up)),
                        max_bytes: request.maximumBytes,
                        protocol_options: request.protocolOptions == .bitmask ? .bitmask : .automatic,
                        progress: { context, received, total in
                            let box = Unmanaged<ProgressBox>.fromOpaque(context!).takeUnretainedValue()
                            return box.report(received, total > 0 ? total : nil) ? 0 : 1
                        },
                        context: context.toOpaque())
                    return CNetfilterShim_http_get(&raw, &response)
                }
            }
        }
        let message = withUnsafeBytes(of: response.error) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        switch result {
        case .ok: break
        case .noLibrary: throw Failure(kind: .library, message: message)
        case .setup: throw Failure(kind: .setup, message: message)
        case .outOfMemory: throw Failure(kind: .outOfMemory, message: message)
        case .refusedProtocol: throw Failure(kind: .refusedProtocol, message: message)
        case .transport: throw Failure(kind: .transport, message: message)
        case .timeout: throw Failure(kind: .timeout, message: message)
        case .tooLarge: throw Failure(kind: .tooLarge, message: message)
        case .write: throw Failure(kind: .write, message: message, errno: response.error_number)
        case .cancelled: throw Failure(kind: .cancelled, message: message)
        }
        func text<T>(_ field: T) -> String? {
            let value = withUnsafeBytes(of: field) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            return value.isEmpty ? nil : value
        }
        return Response(
            status: response.status, etag: text(response.etag), lastModified: text(response.last_modified))
    }

    private static func withOptionalCString<R>(_ text: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
        guard let text else { return body(nil) }
        return text.withCString { body($0) }
    }
}

extension Array where Element == String {
    /// Calls `body` with the strings as a C array of C strings (valid only inside `body`).
    fileprivate func withCStrings<R>(_ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
        let copies = map { strdup($0) }
        defer { copies.forEach { free($0) } }
        let pointers = copies.map { UnsafePointer($0) }
        return pointers.withUnsafeBufferPointer { body($0.baseAddress) }
    }
}
