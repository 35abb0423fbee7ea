internal import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Starts the process that watches a pending confirmation (it calls
/// ``Enforcer/watch(id:poll:)``), detached from the caller: a new session (`setsid`, so no
/// terminal hang-up or Ctrl-C of the caller's reaches it), standard input from `/dev/null`,
/// output appended to a log file, default signal actions and an empty signal mask (GeoFilter
/// opens its own descriptors close-on-exec, so none of them leak into it). It outlives the caller, even one killed with SIGKILL right after the apply.
public enum ConfirmWatchdog {
    /// The running program's executable (`/proc/self/exe` resolved), to start the watchdog
    /// with.
    public static func currentExecutable() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { return "/proc/self/exe" }
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Starts `executable arguments...` detached.
    ///
    /// The caller does not wait for it; a thread of the caller's reaps it when it ends, so a
    /// long-running host keeps no zombie.
    ///
    /// - Parameters:
    ///   - log: the file that receives its standard output and error (appended; created with
    ///     mode 0600), or nil for `/dev/null`.
    /// - Returns: its process id.
    /// - Throws: ``GeoFilterError`` (`.program`) when it cannot be started.
    @discardableResult
    public static func launch(executable: String, arguments: [String], log: String?) throws(GeoFilterError) -> Int32 {
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawnattr_init(&attributes)
        defer {
            posix_spawn_file_actions_destroy(&actions)
            posix_spawnattr_destroy(&attributes)
        }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        let output = log ?? "/dev/null"
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGHUP, SIGINT, SIGTERM, SIGPIPE, SIGQUIT] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        // POSIX_SPAWN_SETSID (glibc 2.26): the child starts a new session.
        let setSession: Int32 = 0x80
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | setSession))
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let result = argv.withUnsafeBufferPointer { buffer in
            posix_spawn(&pid, executable, &actions, &attributes, UnsafeMutablePointer(mutating: buffer.baseAddress!), environ)
        }
        guard result == 0 else {
            throw GeoFilterError.system(.program, "cannot start the confirmation watchdog \(executable)", errno: result)
        }
        let child = pid
        let reaper = Thread { var status: Int32 = 0; while waitpid(child, &status, 0) < 0 && errno == EINTR {} }
        reaper.start()
        return pid
    }
}
