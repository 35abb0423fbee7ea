#if canImport(Glibc)
import Glibc
#endif

/// Directories whose contents decide what the firewall does (the update cache, the restore
/// state): created mode 0750, and, when the process runs as root, refused if another user could
/// change them — the rule sshd and sudo apply to their own files.
///
/// A directory passes when it and every parent up to `/` is owned by root and not writable by
/// group or others; a parent with the sticky bit (`/tmp`) is accepted, since others cannot
/// rename or delete entries they do not own there. Not running as root, nothing is checked:
/// the files are the user's own.
enum TrustedDirectory {
    /// Creates `path` (and missing parents, mode 0750) and checks it.
    ///
    /// - Throws: ``GeoFilterError`` `.file` when it cannot be created, `.permission` when it is
    ///   not safe (the sentence says why and what to do).
    static func prepare(_ path: String) throws(GeoFilterError) {
        var partial = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            partial += "/\(component)"
            if mkdir(partial, 0o750) != 0 && errno != EEXIST {
                throw GeoFilterError.system(.file, "cannot create the directory \(partial)", errno: errno)
            }
        }
        try check(path)
    }

    /// Checks `path` and its parents (see ``TrustedDirectory``), when running as root.
    static func check(_ path: String, runningAsRoot: Bool = geteuid() == 0) throws(GeoFilterError) {
        guard runningAsRoot else { return }
        guard let resolved = realpath(path, nil) else {
            throw GeoFilterError.system(.file, "cannot resolve the directory \(path)", errno: errno)
        }
        let absolute = String(cString: resolved)
        free(resolved)
        var chain = ["/"]
        var partial = ""
        for component in absolute.split(separator: "/") {
            partial += "/\(component)"
            chain.append(partial)
        }
        for (index, directory) in chain.enumerated() {
            var info = stat()
            guard stat(directory, &info) == 0 else {
                throw GeoFilterError.system(.file, "cannot inspect \(directory)", errno: errno)
            }
            let isTarget = index == chain.count - 1
            if info.st_uid != 0 {
                throw GeoFilterError(
                    .permission,
                    "\(directory) is owned by uid \(info.st_uid), not root: running as root, GeoFilter will not use \(path) (another user could change what is blocked); chown root \(directory)")
            }
            let sticky = info.st_mode & S_ISVTX != 0
            if info.st_mode & 0o022 != 0 && (isTarget || !sticky) {
                throw GeoFilterError(
                    .permission,
                    "\(directory) is writable by group or others (mode \(String(info.st_mode & 0o7777, radix: 8))): running as root, GeoFilter will not use \(path) (another user could change what is blocked); chmod go-w \(directory)")
            }
        }
    }
}
