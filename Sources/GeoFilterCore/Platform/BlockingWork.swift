#if canImport(Glibc)
import Glibc
#endif

/// Runs blocking work (netlink round trips, helper programs, file I/O) on a thread of its own,
/// so an `async` caller never blocks one of the few threads of Swift's cooperative pool.
enum BlockingWork {
    /// Runs `body` on a new thread and returns its result to the awaiting task.
    ///
    /// The work is not cancelled when the task is: a kernel change, once started, completes
    /// (or fails) as a whole.
    static func run<Result: Sendable>(
        _ body: @escaping @Sendable () throws(GeoFilterError) -> Result
    ) async throws(GeoFilterError) -> Result {
        let outcome: Swift.Result<Result, GeoFilterError> = await withCheckedContinuation { continuation in
            let job = Job {
                do throws(GeoFilterError) {
                    continuation.resume(returning: .success(try body()))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
            if !job.startDetached() {
                // No thread could be created (resource limits): run the work here rather than fail.
                job.body()
            }
        }
        return try outcome.get()
    }

    /// The closure a thread runs, boxed so its address can pass through `pthread_create`.
    private final class Job: Sendable {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }

        /// Starts a detached thread running `body`; false when no thread could be created.
        func startDetached() -> Bool {
            let context = Unmanaged.passRetained(self).toOpaque()
            var thread = pthread_t()
            let status = pthread_create(&thread, nil, { context in
                let job = Unmanaged<Job>.fromOpaque(context!).takeRetainedValue()
                job.body()
                return nil
            }, context)
            guard status == 0 else {
                Unmanaged<Job>.fromOpaque(context).release()
                return false
            }
            pthread_detach(thread)
            return true
        }
    }
}
