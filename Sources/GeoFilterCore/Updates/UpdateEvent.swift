/// What an update is doing, in order, for a host UI or the demo's progress bar.
public enum UpdateEvent: Sendable, Hashable {
    /// A request is being sent; `conditional` when it carries the cached copy's validators.
    case requesting(url: String, conditional: Bool)
    /// Bytes of a file have arrived (`total` when the server said the size).
    case receiving(url: String, received: UInt64, total: UInt64?)
    /// The server answered 304: the cached file is current.
    case notModified(url: String)
    /// A file arrived completely.
    case downloaded(url: String, bytes: UInt64)
    /// An attempt failed and will be repeated after `delay` seconds.
    case retrying(url: String, attempt: Int, delay: Double, reason: String)
    /// A file matched the checksum its source publishes (`md5`, `sha256`).
    case checksumVerified(url: String, algorithm: String)
    /// Rows parsed so far (reported every 65,536 rows and at the end).
    case parsed(rows: Int)
    /// The new data passed validation against the previous copy.
    case validated(UpdateFigures)
    /// The update is over.
    case finished(UpdateResult)
}
