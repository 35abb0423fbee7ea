/// Small calendar helpers for dates found in data headers and file names (UTC only), so
/// provenance does not depend on the host's locale or time zone.
enum CivilDate {
    /// Seconds since 1970 of a UTC date and time; nil when a field is out of range.
    static func epochSeconds(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0) -> Int64? {
        guard (1...12).contains(month), (1...31).contains(day), (0...23).contains(hour), (0...59).contains(minute),
            (0...60).contains(second)
        else { return nil }
        // Days from 1970-01-01 (Howard Hinnant's days_from_civil).
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        return Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
    }

    /// `YYYY-MM-DD` of seconds since 1970.
    static func isoDate(_ seconds: Int64) -> String {
        let (year, month, day) = components(seconds)
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }

    /// The UTC year, month and day of seconds since 1970 (Howard Hinnant's civil_from_days).
    static func components(_ seconds: Int64) -> (year: Int, month: Int, day: Int) {
        let days = Int(seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400) + 719_468
        let era = (days >= 0 ? days : days - 146_096) / 146_097
        let dayOfEra = days - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// Parses an RFC 1123 date such as `Thu, 25 Jun 2026 04:33:59 GMT`.
    static func parseRFC1123(_ text: String) -> Int64? {
        let parts = text.split(separator: " ")
        guard parts.count >= 5 else { return nil }
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard let day = Int(parts[1]), let month = months.firstIndex(of: String(parts[2])), let year = Int(parts[3])
        else { return nil }
        let time = parts[4].split(separator: ":").compactMap { Int($0) }
        guard time.count == 3 else { return nil }
        return epochSeconds(year: year, month: month + 1, day: day, hour: time[0], minute: time[1], second: time[2])
    }

    /// Parses `YYYYMMDD` (RIR headers) or `YYYY-MM-DD`.
    static func parseDay(_ text: some StringProtocol) -> Int64? {
        let digits = String(text.filter { $0 != "-" })
        guard digits.count == 8, let value = Int(digits) else { return nil }
        return epochSeconds(year: value / 10_000, month: value / 100 % 100, day: value % 100)
    }
}
