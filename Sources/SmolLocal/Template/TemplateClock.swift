import Foundation

/// Where `strftime_now(format)` reads the time.
///
/// transformers implements it as `datetime.now().strftime(format)`, a naive local time. Tests and
/// reproducible prompts pass ``fixed(_:timeZone:)``.
public struct TemplateClock: Sendable {
    /// Returns the current instant.
    public var now: @Sendable () -> Date
    /// The time zone the instant is shown in.
    public var timeZone: TimeZone

    /// A clock reading `now` and showing it in `timeZone`.
    public init(now: @escaping @Sendable () -> Date, timeZone: TimeZone) {
        self.now = now
        self.timeZone = timeZone
    }

    /// The system clock in the current time zone, as `datetime.now()`.
    public static var system: TemplateClock { TemplateClock(now: { Date() }, timeZone: .current) }

    /// A clock stopped at `date`, shown in `timeZone` (UTC by default).
    public static func fixed(_ date: Date, timeZone: TimeZone = TimeZone(identifier: "UTC") ?? .current) -> TemplateClock {
        TemplateClock(now: { date }, timeZone: timeZone)
    }

    private static let weekdays = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
    private static let months = [
        "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
        "November", "December",
    ]

    /// Python's `datetime.strftime(format)` for a naive datetime (so `%z` and `%Z` are empty), with glibc's
    /// `%-d`-style unpadded fields; unknown directives are kept as written, as glibc does.
    func format(_ format: String) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let date = now()
        let parts = calendar.dateComponents(
            [.year, .month, .day, .hour, .minute, .second, .nanosecond, .weekday], from: date)
        let year = parts.year ?? 1970, month = parts.month ?? 1, day = parts.day ?? 1
        let hour = parts.hour ?? 0, minute = parts.minute ?? 0, second = parts.second ?? 0
        let weekday = (parts.weekday ?? 1) - 1
        let dayOfYear = calendar.ordinality(of: .day, in: .year, for: date) ?? 1
        let microsecond = (parts.nanosecond ?? 0) / 1000
        let hour12 = hour % 12 == 0 ? 12 : hour % 12

        func padded(_ value: Int, _ width: Int, unpadded: Bool) -> String {
            let digits = String(value)
            return unpadded || digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
        }

        var out = ""
        var scalars = Array(format.unicodeScalars)[...]
        while let scalar = scalars.popFirst() {
            guard scalar == "%", let first = scalars.first else {
                out.unicodeScalars.append(scalar)
                continue
            }
            scalars.removeFirst()
            var directive = first
            let unpadded = directive == "-"
            if unpadded {
                guard let following = scalars.popFirst() else {
                    out += "%-"
                    break
                }
                directive = following
            }
            switch directive {
            case "a": out += String(Self.weekdays[weekday].prefix(3))
            case "A": out += Self.weekdays[weekday]
            case "w": out += String(weekday)
            case "d": out += padded(day, 2, unpadded: unpadded)
            case "e": out += unpadded ? String(day) : (day < 10 ? " \(day)" : String(day))
            case "b", "h": out += String(Self.months[month - 1].prefix(3))
            case "B": out += Self.months[month - 1]
            case "m": out += padded(month, 2, unpadded: unpadded)
            case "y": out += padded(year % 100, 2, unpadded: unpadded)
            case "Y": out += String(year)
            case "H": out += padded(hour, 2, unpadded: unpadded)
            case "I": out += padded(hour12, 2, unpadded: unpadded)
            case "p": out += hour < 12 ? "AM" : "PM"
            case "M": out += padded(minute, 2, unpadded: unpadded)
            case "S": out += padded(second, 2, unpadded: unpadded)
            case "f": out += padded(microsecond, 6, unpadded: false)
            case "j": out += padded(dayOfYear, 3, unpadded: unpadded)
            case "z", "Z": break
            case "%": out += "%"
            case "D": out += "\(padded(month, 2, unpadded: false))/\(padded(day, 2, unpadded: false))/\(padded(year % 100, 2, unpadded: false))"
            case "F": out += "\(year)-\(padded(month, 2, unpadded: false))-\(padded(day, 2, unpadded: false))"
            case "T": out += "\(padded(hour, 2, unpadded: false)):\(padded(minute, 2, unpadded: false)):\(padded(second, 2, unpadded: false))"
            default:
                out += unpadded ? "%-" : "%"
                out.unicodeScalars.append(directive)
            }
        }
        return out
    }
}
