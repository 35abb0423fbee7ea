/// A plan applied with a confirmation window (``Enforcer/apply(_:allowBroadExemptions:backendSettings:state:confirmWithin:launchWatchdog:)``):
/// unless ``Enforcer/confirm()`` comes before the deadline, the watchdog puts the previous plan
/// back (or removes GeoFilter's rules when there was none).
public struct PendingConfirmation: Sendable, Hashable, Codable {
    /// Names this pending confirmation: a watchdog acts only for its own id.
    public var id: String
    /// The digest of the plan waiting for confirmation.
    public var digest: String
    /// The digest of the plan that comes back without confirmation; nil: GeoFilter's rules are
    /// removed instead (none were enforced, or the enforced plan was not one GeoFilter recorded).
    public var previousDigest: String?
    /// The deadline on the wall clock (seconds since 1970), for people.
    public var expiresAt: Double
    /// The deadline on `CLOCK_BOOTTIME` (seconds since boot), which decides.
    var deadline: Double
    /// The boot the record belongs to (`/proc/sys/kernel/random/boot_id`).
    var bootID: String
    /// The state store to commit the plan to on confirmation (`apply --state DIR`).
    var stateDirectory: String?

    /// Seconds left before the previous plan comes back (0 when the deadline has passed).
    public var secondsLeft: Double { max(0, deadline - Enforcer.bootTime()) }
}
