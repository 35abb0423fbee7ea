/// When the next weekly update is due (default: Sunday 03:00, as MikoPBX updates). The host
/// owns the timer; this says when to fire it.
public struct UpdateSchedule: Sendable, Hashable, Codable {
    public enum Weekday: Int, Sendable, Hashable, Codable, CaseIterable {
        case sunday = 0, monday, tuesday, wednesday, thursday, friday, saturday
    }

    /// The day of the week the update runs.
    public var weekday: Weekday
    /// The local time of day (24-hour clock).
    public var hour: Int
    public var minute: Int
    /// The host's offset from UTC in seconds (east positive), so "03:00" is local time.
    public var utcOffset: Int

    /// Sunday 03:00 UTC.
    public static let weekly = UpdateSchedule()

    public init(weekday: Weekday = .sunday, hour: Int = 3, minute: Int = 0, utcOffset: Int = 0) {
        self.weekday = weekday
        self.hour = min(max(0, hour), 23)
        self.minute = min(max(0, minute), 59)
        self.utcOffset = utcOffset
    }

    /// The first scheduled time strictly after `time` (seconds since 1970, UTC).
    public func occurrence(after time: Int64) -> Int64 {
        let local = time + Int64(utcOffset)
        let day = local >= 0 ? local / 86_400 : (local - 86_399) / 86_400
        // 1970-01-01 was a Thursday.
        let weekdayToday = Int((day + 4) % 7 + 7) % 7
        var candidate = (day + Int64((weekday.rawValue - weekdayToday + 7) % 7)) * 86_400 + Int64(hour * 3600 + minute * 60)
        if candidate <= local { candidate += 7 * 86_400 }
        return candidate - Int64(utcOffset)
    }

    /// When the next update is due: the first scheduled time after the last successful one,
    /// which may lie in the past (a missed run: due now); `now` when there was none.
    public func nextRun(lastSuccess: Int64?, now: Int64) -> Int64 {
        guard let lastSuccess else { return now }
        return occurrence(after: lastSuccess)
    }

    /// Whether an update should run now.
    public func isDue(lastSuccess: Int64?, now: Int64) -> Bool {
        nextRun(lastSuccess: lastSuccess, now: now) <= now
    }
}
