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
    }

    struct Response {
        var status: Int
        var received: UInt64
        var etag: String?
        var lastModified: String?
        var contentDisposition: String?
    }

    /// Why a transfer did not complete.
    struct Failure: Error {
        enum Kind { case library, transport, timeout, tooLarge, write, cancelled }
        var kind: Kind
        var message: String
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
        let status: Int32 = request.headers.withCStrings { headers in
            request.url.withCString { url in
                withOptionalCString(request.credentials) { credentials in
                    var raw = CNetfilterShim_http_request(
                        url: url, headers: headers, header_count: request.headers.count, user_password: credentials,
                        user_agent: nil, output_fd: descriptor, connect_timeout_ms: Int(request.timeouts.connect * 1000),
                        total_timeout_ms: Int(request.timeouts.total * 1000), stall_seconds: Int(request.timeouts.stall.rounded(.up)),
                        max_bytes: request.maximumBytes,
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
        switch status {
        case 0: break
        case CNetfilterShim_HTTP_NO_LIBRARY: throw Failure(kind: .library, message: message)
        case CNetfilterShim_HTTP_TIMEOUT: throw Failure(kind: .timeout, message: message)
        case CNetfilterShim_HTTP_TOO_LARGE: throw Failure(kind: .tooLarge, message: message)
        case CNetfilterShim_HTTP_WRITE: throw Failure(kind: .write, message: message)
        case CNetfilterShim_HTTP_CANCELLED: throw Failure(kind: .cancelled, message: message)
        default: throw Failure(kind: .transport, message: message)
        }
        func text<T>(_ field: T) -> String? {
            let value = withUnsafeBytes(of: field) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            return value.isEmpty ? nil : value
        }
        return Response(
            status: response.status, received: response.received, etag: text(response.etag),
            lastModified: text(response.last_modified), contentDisposition: text(response.content_disposition))
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
