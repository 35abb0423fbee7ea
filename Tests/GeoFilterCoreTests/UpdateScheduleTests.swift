import Testing

@testable import GeoFilterCore

/// Update schedules as hosts configure them: weekly or daily wall-clock times in a time zone
/// (daylight saving time handled), every N hours, or off.
@Suite struct UpdateScheduleTests {
    private func utc(_ year: Int, _ month: Int, _ day: Int, _ hour: Int, _ minute: Int = 0) throws -> Int64 {
        try #require(CivilDate.epochSeconds(year: year, month: month, day: day, hour: hour, minute: minute))
    }

    @Test func weeklyInATimeZoneFollowsDaylightSavingTime() throws {
        let berlin = UpdateSchedule(frequency: .weekly(.sunday), hour: 3, zone: .identifier("Europe/Berlin"))
        // Winter (CET, UTC+1): Sunday 2026-11-29 03:00 is 02:00 UTC.
        #expect(berlin.occurrence(after: try utc(2026, 11, 23, 16)) == (try utc(2026, 11, 29, 2)))
        // Summer (CEST, UTC+2): Sunday 2026-07-05 03:00 is 01:00 UTC.
        #expect(berlin.occurrence(after: try utc(2026, 7, 1, 0)) == (try utc(2026, 7, 5, 1)))
    }

    @Test func aSkippedWallClockTimeRunsRightAfterTheGap() throws {
        // 2026-03-29: Berlin's clocks jump from 02:00 to 03:00 (01:00 UTC); 02:30 does not exist.
        let daily = UpdateSchedule(frequency: .daily, hour: 2, minute: 30, zone: .identifier("Europe/Berlin"))
        let run = daily.occurrence(after: try utc(2026, 3, 28, 12))
        #expect(run == (try utc(2026, 3, 29, 1)))
        // The next day is normal again: 02:30 CEST is 00:30 UTC.
        #expect(daily.occurrence(after: run) == (try utc(2026, 3, 30, 0, 30)))
    }

    @Test func aRepeatedWallClockTimeRunsOnce() throws {
        // 2026-10-25: Berlin's clocks go back from 03:00 to 02:00; 02:30 happens twice.
        let daily = UpdateSchedule(frequency: .daily, hour: 2, minute: 30, zone: .identifier("Europe/Berlin"))
        let first = daily.occurrence(after: try utc(2026, 10, 24, 12))
        #expect(first == (try utc(2026, 10, 25, 0, 30)))
        // Not again an hour later: the next run is the following day, 02:30 CET = 01:30 UTC.
        #expect(daily.occurrence(after: first) == (try utc(2026, 10, 26, 1, 30)))
    }

    @Test func everyNHoursCountsFromTheLastSuccess() throws {
        let schedule = UpdateSchedule.every(hours: 6)
        let last = try utc(2026, 11, 23, 16)
        #expect(schedule.nextRun(lastSuccess: last, now: last + 60) == last + 6 * 3600)
        #expect(!schedule.isDue(lastSuccess: last, now: last + 6 * 3600 - 1))
        #expect(schedule.isDue(lastSuccess: last, now: last + 6 * 3600))
        #expect(schedule.isDue(lastSuccess: nil, now: last))
        #expect(UpdateSchedule.every(hours: 0).frequency == .everyHours(1))
    }

    @Test func offIsNeverDue() throws {
        let now = try utc(2026, 11, 23, 16)
        #expect(!UpdateSchedule.off.isDue(lastSuccess: nil, now: now))
        #expect(!UpdateSchedule.off.isDue(lastSuccess: now - 365 * 86_400, now: now))
        #expect(UpdateSchedule.off.nextRun(lastSuccess: nil, now: now) == Int64.max)
    }

    @Test func aScheduleRoundTripsThroughJSON() throws {
        for schedule in [UpdateSchedule.weekly, .off, .every(hours: 12), UpdateSchedule(frequency: .daily, hour: 4, zone: .current)] {
            let data = try JSONEncoder().encode(schedule)
            #expect(try JSONDecoder().decode(UpdateSchedule.self, from: data) == schedule)
        }
    }
}

import Foundation
