internal import Foundation

/// When the next data update is due. The host owns the timer; this says when to fire it.
///
/// The default is weekly, Sunday 03:00 (as MikoPBX updates). Hosts configure it the ways the
/// seeds do: weekly or daily at a wall-clock time in a time zone (the host's own, with daylight
/// saving time handled, or a fixed offset), every N hours (AiFw's `update_interval_hours`), or
/// off.
public struct UpdateSchedule: Sendable, Hashable, Codable {
    public enum Weekday: Int, Sendable, Hashable, Codable, CaseIterable {
        case sunday = 0, monday, tuesday, wednesday, thursday, friday, saturday
    }

    /// How often the update runs.
    public enum Frequency: Sendable, Hashable, Codable {
        /// Once a week, on this day, at ``UpdateSchedule/hour``:``UpdateSchedule/minute``.
        case weekly(Weekday)
        /// Every day at ``UpdateSchedule/hour``:``UpdateSchedule/minute``.
        case daily
        /// Every this many hours (1 to 8,760) after the last successful run.
        case everyHours(Int)
        /// Never: the host updates only when asked.
        case off
    }

    /// The time zone wall-clock times are read in.
    public enum Zone: Sendable, Hashable, Codable {
        /// A fixed offset from UTC in seconds (east positive), no daylight saving time.
        case utcOffset(Int)
        /// A zone of the tz database (`Europe/Berlin`): "03:00" follows its daylight saving time.
        case identifier(String)
        /// The host's own time zone (`/etc/localtime`, `TZ`), daylight saving time included.
        case current
    }

    public var frequency: Frequency
    /// The wall-clock hour (24-hour clock) of weekly and daily runs.
    public var hour: Int
    /// The wall-clock minute of weekly and daily runs.
    public var minute: Int
    /// The time zone of ``hour`` and ``minute``.
    public var zone: Zone

    /// Sunday 03:00 UTC.
    public static let weekly = UpdateSchedule()

    /// No automatic updates.
    public static let off = UpdateSchedule(frequency: .off)

    /// Every `hours` hours after the last successful run.
    public static func every(hours: Int) -> UpdateSchedule {
        UpdateSchedule(frequency: .everyHours(min(max(1, hours), 8_760)))
    }

    /// - Parameters:
    ///   - frequency: weekly (the default: Sunday), daily, every N hours, or off.
    ///   - hour: 0-23; minute: 0-59 (clamped).
    ///   - zone: where the wall-clock time is read; the default is UTC.
    public init(frequency: Frequency = .weekly(.sunday), hour: Int = 3, minute: Int = 0, zone: Zone = .utcOffset(0)) {
        self.frequency = frequency
        self.hour = min(max(0, hour), 23)
        self.minute = min(max(0, minute), 59)
        self.zone = zone
    }

    /// Weekly on `weekday` at `hour`:`minute`, `utcOffset` seconds east of UTC.
    public init(weekday: Weekday, hour: Int = 3, minute: Int = 0, utcOffset: Int = 0) {
        self.init(frequency: .weekly(weekday), hour: hour, minute: minute, zone: .utcOffset(utcOffset))
    }

    /// The first scheduled time strictly after `time` (seconds since 1970, UTC); `Int64.max`
    /// when the schedule is off. A wall-clock time that a daylight saving change skips runs at
    /// the first moment after the gap; one that occurs twice runs at its first occurrence.
    ///
    /// - Throws: nothing; an unknown zone identifier is read as UTC.
    public func occurrence(after time: Int64) -> Int64 {
        switch frequency {
        case .off:
            return Int64.max
        case .everyHours(let hours):
            return time + Int64(hours) * 3600
        case .daily, .weekly:
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = timeZone
            var components = DateComponents(hour: hour, minute: minute, second: 0)
            if case .weekly(let weekday) = frequency { components.weekday = weekday.rawValue + 1 }
            let start = Date(timeIntervalSince1970: TimeInterval(time))
            guard
                let next = calendar.nextDate(
                    after: start, matching: components, matchingPolicy: .nextTime, repeatedTimePolicy: .first,
                    direction: .forward)
            else { return Int64.max }
            return Int64(next.timeIntervalSince1970.rounded(.down))
        }
    }

    /// When the next update is due: the first scheduled time after the last successful one,
    /// which may lie in the past (a missed run: due now); `now` when there was none;
    /// `Int64.max` when the schedule is off.
    public func nextRun(lastSuccess: Int64?, now: Int64) -> Int64 {
        if case .off = frequency { return Int64.max }
        guard let lastSuccess else { return now }
        return occurrence(after: lastSuccess)
    }

    /// Whether an update should run now.
    public func isDue(lastSuccess: Int64?, now: Int64) -> Bool {
        nextRun(lastSuccess: lastSuccess, now: now) <= now
    }

    private var timeZone: TimeZone {
        switch zone {
        case .utcOffset(let seconds): TimeZone(secondsFromGMT: seconds) ?? TimeZone(secondsFromGMT: 0)!
        case .identifier(let name): TimeZone(identifier: name) ?? TimeZone(secondsFromGMT: 0)!
        case .current: TimeZone.current
        }
    }
}
