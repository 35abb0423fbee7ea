import Foundation
import GeoFilterCore

/// The bundled offline database: a GeoFilter snapshot built from Debian's tor-geoipdb
/// (IPFire Location data, CC BY-SA 4.0; see `DATA-LICENSE.md` beside it).
///
/// Link this product and call ``register()`` once at start-up to make ``DataSource/bundled``
/// work with no network and no data files. Leave the product out to ship without it.
public enum GeoFilterBundledData {
    /// The snapshot's file name among the resources.
    static let fileName = "geofilter-bundled.gfsnap"

    /// The path of the bundled snapshot file.
    public static var snapshotPath: String? {
        Bundle.module.url(forResource: "geofilter-bundled", withExtension: "gfsnap")?.path
    }

    /// The data licence and attribution that must accompany the bundled data.
    public static var dataLicence: String? {
        guard let url = Bundle.module.url(forResource: "DATA-LICENSE", withExtension: "md") else { return nil }
        return try? String(contentsOf: url, encoding: .utf8)
    }

    /// Registers the bundled snapshot as ``DataSource/bundled``.
    public static func register() {
        if let snapshotPath { BundledSnapshot.register(path: snapshotPath) }
    }
}
