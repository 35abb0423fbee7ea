internal import CNetfilterShim
internal import SystemPackage

/// Why an ipset call failed, as the shim classified the kernel's error code: the
/// ``GeoFilterError/underlying`` error of ``IPSetSession``'s errors.
struct IPSetFailure: Error, Sendable, Hashable {
    enum Kind: Sendable, Hashable {
        /// The set (or, for a swap, the second set) does not exist.
        case noSuchSet
        /// A set of that name, or the element, exists already.
        case exists
        /// The set holds its maximum number of entries.
        case hashFull
        /// A rule or another set references the set.
        case inUse
        /// The sets (or the set and the call) differ in type or family.
        case typeMismatch
        case permission
        /// The kernel lacks ip_set or the set type, or speaks another protocol version.
        case unsupported
        case outOfMemory
        /// The network namespace cannot be entered.
        case namespace
        /// libipset is not installed.
        case noLibrary
        /// libipset failed without a kernel error.
        case library
        /// Another kernel error (see ``IPSetFailure/kernelCode``).
        case kernel
    }

    var kind: Kind
    /// The kernel's code: an errno below 4096, an `IPSET_ERR_*` code from 4096; 0 when the
    /// kernel reported none.
    var kernelCode: Int32

    init(kind: Kind, kernelCode: Int32) {
        self.kind = kind
        self.kernelCode = kernelCode
    }

    init(_ result: CNetfilterShim_ipset_result, kernelCode: Int32) {
        self.kernelCode = kernelCode
        kind =
            switch result {
            case .ok, .kernelError: .kernel
            case .noSuchSet: .noSuchSet
            case .exists: .exists
            case .hashFull: .hashFull
            case .inUse: .inUse
            case .typeMismatch: .typeMismatch
            case .permission: .permission
            case .unsupported: .unsupported
            case .outOfMemory: .outOfMemory
            case .namespace: .namespace
            case .noLibrary: .noLibrary
            case .libraryError: .library
            }
    }
}

/// The thin Swift wrapper over the shim's libipset session: owns the C handle, turns failures
/// into ``GeoFilterError``s by the class the shim derived from the kernel's error code, and
/// keeps every pointer inside this file.
///
/// A session exists only inside ``with(namespace:_:)``: it cannot be copied or escape. The
/// shim takes its process-wide libipset lock inside each call only (libipset's type list and
/// set cache are unlocked globals), so other sessions, in other threads, proceed between them.
struct IPSetSession: ~Copyable {
    private let handle: OpaquePointer

    private init(handle: OpaquePointer) { self.handle = handle }

    deinit { CNetfilterShim_ipset_close(handle) }

    /// Opens a session in `namespace` (handshake included), runs `body` with it, and closes it.
    static func with<Result>(
        namespace: NetworkNamespace, _ body: (borrowing IPSetSession) throws(GeoFilterError) -> Result
    ) throws(GeoFilterError) -> Result {
        let session = try open(namespace)
        return try body(session)
    }

    private static func open(_ namespace: NetworkNamespace) throws(GeoFilterError) -> IPSetSession {
        var result = CNetfilterShim_ipset_result.ok
        guard let handle = CNetfilterShim_ipset_open(namespace.path, &result) else {
            let failure = IPSetFailure(result, kernelCode: 0)
            if result == .noLibrary, let reason = libraryError { throw GeoFilterError(.unsupported, reason, underlying: failure) }
            throw GeoFilterError(.outOfMemory, "cannot start an ipset session: out of memory", errno: .noMemory, underlying: failure)
        }
        let session = IPSetSession(handle: handle)
        guard result == .ok else { throw session.openError(result, namespace) }
        return session
    }

    /// Why libipset cannot be loaded (it is opened on first use), or nil when it is loaded.
    static var libraryError: String? { CNetfilterShim_ipset_library_error().map { String(cString: $0) } }

    /// Closes libipset when no session is open (it is loaded again when next needed).
    /// Returns false while a session is open.
    @discardableResult
    static func unloadLibrary() -> Bool { CNetfilterShim_ipset_unload() }

    /// The "ipset unavailable" cases of the handshake.
    private func openError(_ result: CNetfilterShim_ipset_result, _ namespace: NetworkNamespace) -> GeoFilterError {
        let text = lastError
        let failure = IPSetFailure(result, kernelCode: CNetfilterShim_ipset_kernel_error(handle))
        let errno = self.errno
        switch result {
        case .namespace:
            let place = namespace.path ?? "current"
            if errno == .noSuchFileOrDirectory {
                return GeoFilterError(.namespace, "no such network namespace (\(place)): \(text)", errno: errno, underlying: failure)
            }
            if errno == .notPermitted || errno == .permissionDenied {
                return GeoFilterError(
                    .permission, "entering the network namespace \(place) needs CAP_SYS_ADMIN and CAP_NET_ADMIN (run as root): \(text)",
                    errno: errno, underlying: failure)
            }
            return GeoFilterError(.namespace, text, errno: errno, underlying: failure)
        case .permission:
            return GeoFilterError(.permission, "ipset needs CAP_NET_ADMIN (run as root): \(text)", errno: errno, underlying: failure)
        case .unsupported:
            return GeoFilterError(.unsupported, "the kernel has no usable ipset (ip_set) support: \(text)", errno: errno, underlying: failure)
        default:
            return error(result, "ipset is unavailable")
        }
    }

    private var lastError: String { String(cString: CNetfilterShim_ipset_error(handle)) }

    /// The errno behind the last failure: outside the kernel, or the kernel's when it is one.
    private var errno: Errno? {
        let system = CNetfilterShim_ipset_system_error(handle)
        if system != 0 { return Errno(rawValue: system) }
        let kernel = CNetfilterShim_ipset_kernel_error(handle)
        return kernel > 0 && kernel < 4096 ? Errno(rawValue: kernel) : nil
    }

    /// The error for a failed call.
    private func error(_ result: CNetfilterShim_ipset_result, _ what: String) -> GeoFilterError {
        let failure = IPSetFailure(result, kernelCode: CNetfilterShim_ipset_kernel_error(handle))
        let message = "\(what): \(lastError)"
        let code: GeoFilterError.Code =
            switch failure.kind {
            case .permission: .permission
            case .unsupported, .noLibrary: .unsupported
            case .outOfMemory: .outOfMemory
            case .namespace: .namespace
            case .noSuchSet, .exists, .hashFull, .inUse, .typeMismatch, .library, .kernel: .kernel
            }
        if code == .permission {
            return GeoFilterError(code, "ipset needs CAP_NET_ADMIN (run as root): \(message)", errno: errno, underlying: failure)
        }
        return GeoFilterError(code, message, errno: errno, underlying: failure)
    }

    private func check(_ result: CNetfilterShim_ipset_result, _ what: @autoclosure () -> String) throws(GeoFilterError) {
        guard result == .ok else { throw error(result, what()) }
    }

    // MARK: Commands

    /// Creates a `hash:net` set.
    func create(_ name: String, family: IPAddressFamily, hashSize: Int, maxElements: Int, comments: Bool = false) throws(GeoFilterError) {
        let result = CNetfilterShim_ipset_create(
            handle, name, family.ipset, UInt32(clamping: hashSize), UInt32(clamping: maxElements), comments)
        try check(result, "creating set \(name)")
    }

    /// Adds the entries to a set, many per netlink message.
    func add(_ name: String, _ entries: HashNetEntries, comment: String? = nil) throws(GeoFilterError) {
        let result = entries.addresses.withUnsafeBufferPointer { addresses in
            entries.lengths.withUnsafeBufferPointer { lengths in
                CNetfilterShim_ipset_add(handle, name, entries.family.ipset, addresses.baseAddress, lengths.baseAddress, entries.count, comment)
            }
        }
        try check(result, "filling set \(name) (\(entries.count) entries)")
    }

    /// Swaps the contents of two sets, atomically.
    func swap(_ name: String, _ other: String) throws(GeoFilterError) {
        try check(CNetfilterShim_ipset_swap(handle, name, other), "swapping sets \(name) and \(other)")
    }

    /// Destroys a set. Returns false when it did not exist.
    @discardableResult
    func destroy(_ name: String) throws(GeoFilterError) -> Bool {
        let result = CNetfilterShim_ipset_destroy(handle, name)
        if result == .noSuchSet { return false }
        try check(result, "destroying set \(name)")
        return true
    }

    /// The set in `ipset save` form (all sets when `name` is nil), or nil when it does not exist.
    func save(_ name: String?) throws(GeoFilterError) -> String? {
        try list(name, .members)
    }

    /// The set's header as `ipset list -t` prints it, or nil when it does not exist.
    func header(_ name: String) throws(GeoFilterError) -> String? {
        try list(name, .header)
    }

    /// Every set's header, as `ipset list -t` prints them.
    func headers() throws(GeoFilterError) -> String {
        try list(nil, .header) ?? ""
    }

    private func list(_ name: String?, _ listing: CNetfilterShim_ipset_listing) throws(GeoFilterError) -> String? {
        let result = CNetfilterShim_ipset_list(handle, name, listing)
        if result == .noSuchSet { return nil }
        try check(result, "listing \(name.map { "set \($0)" } ?? "sets")")
        var length = 0
        let text = CNetfilterShim_ipset_output(handle, &length)
        return String(decoding: UnsafeRawBufferPointer(start: text, count: length), as: UTF8.self)
    }
}

extension IPAddressFamily {
    /// The shim's name for the family.
    fileprivate var ipset: CNetfilterShim_ipset_family { self == .ipv6 ? .ipv6 : .ipv4 }
}
