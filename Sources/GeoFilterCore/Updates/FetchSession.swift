internal import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// Downloads the files of one update: conditional requests with the cached validators,
/// fallback URLs on 404, retries with back-off, checksum verification, progress events.
struct FetchSession {
    let updater: DataUpdater
    let source: UpdateSource
    let progress: (UpdateEvent) -> Void
    let isCancelled: () -> Bool

    private var configuration: UpdateConfiguration { updater.configuration }

    /// Fetches one file: a new temporary download, or the cached file when the server says it
    /// is unchanged (304) or sends the same bytes again.
    mutating func fetch(_ remote: UpdateSource.RemoteFile, cached: CacheManifest.File?) throws(GeoFilterError) -> Download {
        let urls = [remote.url] + remote.fallbacks
        for (index, url) in urls.enumerated() {
            let conditional = cached?.url == url ? cached : nil
            // A fallback keeps its own name (DB-IP's month is read from it).
            let name = index == 0 ? remote.name : UpdateSource.fileName(of: url)
            guard let fetched = try fetchURL(url, name: name, conditional: conditional, lastChance: index == urls.count - 1) else {
                continue  // 404: try the next URL
            }
            if case .notModified = fetched {
                progress(.notModified(url: url))
                return Download(file: conditional!, temporaryPath: nil, name: name)
            }
            guard case .downloaded(let path, let response) = fetched else { continue }
            let bytes = try InputFile.contents(of: path, decompressing: false)
            if let checksum = remote.checksum {
                do throws(GeoFilterError) {
                    try verify(bytes, checksum, url: url)
                } catch {
                    unlink(path)
                    throw error
                }
            }
            progress(.downloaded(url: url, bytes: UInt64(bytes.count)))
            let file = CacheManifest.File(
                url: url, name: name.replacingSlashes, etag: response.etag, lastModified: response.lastModified,
                sha256: SHA256.hex(SHA256.hash(bytes)), bytes: UInt64(bytes.count))
            if let cached, cached.sha256 == file.sha256 {
                // The same bytes again (a server without validators): the cached copy is current.
                unlink(path)
                return Download(file: file, temporaryPath: nil, name: name)
            }
            return Download(file: file, temporaryPath: path, name: name)
        }
        throw GeoFilterError(.network, "\(urls.joined(separator: " and ")): not found (HTTP 404)")
    }

    private enum Fetched {
        case notModified
        case downloaded(path: String, response: HTTPClient.Response)
    }

    /// One URL with retries: nil for a 404 when another URL may follow.
    private func fetchURL(
        _ url: String, name: String, conditional: CacheManifest.File?, lastChance: Bool
    ) throws(GeoFilterError) -> Fetched? {
        var headers: [String] = []
        if let etag = conditional?.etag { headers.append("If-None-Match: \(etag)") }
        if let lastModified = conditional?.lastModified { headers.append("If-Modified-Since: \(lastModified)") }
        var attempt = 0
        while true {
            if isCancelled() { throw DataUpdater.cancelled }
            progress(.requesting(url: url, conditional: !headers.isEmpty))
            let temporary = try AtomicFile.temporaryFile(near: "\(updater.cache.downloadsDirectory)/\(name.replacingSlashes)")
            let retryReason: String
            var retryCause: HTTPClient.Failure?
            let response: HTTPClient.Response
            do throws(HTTPClient.Failure) {
                response = try download(url, headers: headers, to: temporary.descriptor)
            } catch {
                close(temporary.descriptor)
                unlink(temporary.path)
                switch error.kind {
                case .timeout, .transport:
                    retryReason = error.message
                    retryCause = error
                case .cancelled: throw DataUpdater.cancelled
                case .refusedProtocol:
                    throw GeoFilterError(
                        .network, "\(url): \(error.message) (only http and https are followed); the cache is unchanged", underlying: error)
                case .library, .setup:
                    throw GeoFilterError(.unsupported, "\(url): \(error.message); the cache is unchanged", underlying: error)
                case .outOfMemory:
                    throw GeoFilterError(.outOfMemory, "\(url): \(error.message); the cache is unchanged", underlying: error)
                case .tooLarge:
                    throw GeoFilterError(.limitExceeded, "\(url): \(error.message); the cache is unchanged", underlying: error)
                case .write:
                    throw GeoFilterError(
                        .file, "\(url): \(error.message); the cache is unchanged", errno: error.errno.map(Errno.init(rawValue:)), underlying: error)
                }
                try retry(url, attempt: &attempt, reason: retryReason, underlying: retryCause)
                continue
            }
            let synced = fsync(temporary.descriptor) == 0
            close(temporary.descriptor)
            switch response.status {
            case 200 where synced:
                return .downloaded(path: temporary.path, response: response)
            case 200:
                unlink(temporary.path)
                throw GeoFilterError.system(.file, "cannot sync the download of \(url)", errno: errno)
            case 304 where conditional != nil:
                unlink(temporary.path)
                return .notModified
            case 404 where !lastChance:
                unlink(temporary.path)
                return nil
            case 429, 500...599:
                unlink(temporary.path)
                try retry(url, attempt: &attempt, reason: "HTTP \(response.status)")
            default:
                unlink(temporary.path)
                throw GeoFilterError(.network, "\(url): the server answered HTTP \(response.status)\(Self.hint(response.status)); the cache is unchanged")
            }
        }
    }

    /// Waits before the next attempt, or throws when none is left.
    private func retry(_ url: String, attempt: inout Int, reason: String, underlying: HTTPClient.Failure? = nil) throws(GeoFilterError) {
        guard attempt < configuration.retries else {
            throw GeoFilterError(.network, "\(url): \(reason) (after \(attempt + 1) attempts); the cache is unchanged", underlying: underlying)
        }
        attempt += 1
        let delay = configuration.backoff * Double(1 << min(attempt - 1, 16))
        progress(.retrying(url: url, attempt: attempt, delay: delay, reason: reason))
        try sleep(delay)
    }

    private static func hint(_ status: Int) -> String {
        switch status {
        case 401, 403: " (check the account id and licence key)"
        case 404: " (not found)"
        default: ""
        }
    }

    /// One GET into `descriptor`, reporting progress at most every 64 KiB.
    private func download(_ url: String, headers: [String], to descriptor: Int32) throws(HTTPClient.Failure) -> HTTPClient.Response {
        var reported: UInt64 = 0
        let request = HTTPClient.Request(
            url: url, headers: headers, credentials: source.credentials, timeouts: configuration.timeouts,
            maximumBytes: configuration.maximumDownloadBytes)
        let report = progress
        let cancelled = isCancelled
        return try HTTPClient.get(request, to: descriptor) { received, total in
            if received >= reported + 65_536 || (total != nil && received == total && received != reported) {
                reported = received
                report(.receiving(url: url, received: received, total: total))
            }
            return !cancelled()
        }
    }

    /// Sleeps in short steps, stopping early when the update is cancelled.
    private func sleep(_ seconds: Double) throws(GeoFilterError) {
        var remaining = seconds
        while remaining > 0 {
            if isCancelled() { throw DataUpdater.cancelled }
            let step = min(remaining, 0.1)
            usleep(UInt32(step * 1_000_000))
            remaining -= step
        }
    }

    /// Checks the file against the checksum file its source publishes.
    private func verify(_ bytes: [UInt8], _ checksum: UpdateSource.Checksum, url: String) throws(GeoFilterError) {
        let (checksumURL, algorithm, digits) =
            switch checksum {
            case .md5(let url): (url, "md5", 32)
            case .sha256(let url): (url, "sha256", 64)
            }
        guard case .downloaded(let path, _)? = try fetchURL(checksumURL, name: "checksum", conditional: nil, lastChance: true) else {
            throw GeoFilterError(.network, "\(checksumURL): no checksum was received")
        }
        let text = String(decoding: (try? InputFile.contents(of: path, decompressing: false)) ?? [], as: UTF8.self)
        unlink(path)
        // The first token of the right length that is all hex digits, on the first non-empty
        // line (`MD5 (name) = HASH`, `HASH  name`, or a bare hash); an HTML page has none.
        let line = text.split(whereSeparator: \.isNewline).first { !$0.allSatisfy(\.isWhitespace) }.map(String.init) ?? ""
        let token = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "=" || $0 == "(" || $0 == ")" })
            .first { $0.count == digits && $0.allSatisfy(\.isHexDigit) }
        guard let expected = token.map({ String($0).lowercased() }) else {
            throw GeoFilterError(.invalidInput, "\(checksumURL): not a \(algorithm) checksum file; the cache is unchanged")
        }
        let actual = algorithm == "md5" ? MD5.hex(bytes) : SHA256.hex(SHA256.hash(bytes))
        guard actual == expected else {
            throw GeoFilterError(
                .invalidInput, "\(url): the \(algorithm) checksum does not match (published \(expected), received \(actual)); the cache is unchanged")
        }
        progress(.checksumVerified(url: url, algorithm: algorithm))
    }
}

extension String {
    /// A path made into one file name (`ipv4/cn.zone` -> `ipv4_cn.zone`).
    fileprivate var replacingSlashes: String { replacing("/", with: "_") }
}
