internal import Synchronization

/// Where the bundled snapshot is: GeoFilterCore's one piece of global state.
///
/// The `GeoFilterBundledData` product registers its file here once, at start-up
/// (`GeoFilterBundledData.register()`), so a host that leaves that product out still builds
/// and ``DataSource/bundled`` says why it cannot load. Everything else is passed explicitly:
/// a host that wants no global at all loads its data with ``DataSource/snapshot(path:)``.
/// Registering is thread-safe; a later registration replaces the path for later loads.
public enum BundledSnapshot {
    private static let registered = Mutex<String?>(nil)

    /// Makes ``DataSource/bundled`` read the snapshot at `path`.
    /// `GeoFilterBundledData.register()` calls this with the file it ships.
    public static func register(path: String) {
        registered.withLock { $0 = path }
    }

    /// The registered snapshot path, if any.
    public static var path: String? { registered.withLock { $0 } }

    static func load() throws(GeoFilterError) -> GeoDatabase {
        guard let path else {
            throw GeoFilterError(
                .unsupported,
                "the bundled database is not linked into this program: depend on the GeoFilterBundledData product and call GeoFilterBundledData.register() at start-up")
        }
        return try GeoSnapshot.load(path: path)
    }
}
