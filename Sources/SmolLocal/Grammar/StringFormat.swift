/// String formats that constrained generation writes as regular languages, each a subset of what
/// Python's `jsonschema` `FormatChecker` accepts (so a generated value always passes it):
///
/// - `date`: `YYYY-MM-DD`, years 1000–2999, days valid for the month (29 February is never written,
///   since leap years would need more state).
/// - `time`: `HH:MM:SS`, an optional fraction of 1–6 digits, then `Z` or `±HH:MM` (RFC 3339, as
///   `jsonschema` checks it through `rfc3339-validator`).
/// - `date-time`: a `date`, `T`, a `time`.
/// - `uuid`: lowercase 8-4-4-4-12 hexadecimal.
/// - `email`: `local@label.label…` with letters, digits and `._%+-` in the local part, letters, digits
///   and `-` in labels, at least one dot in the domain.
///
/// A state is an `Int32`; ``advance(_:_:)`` returns -1 for a byte that cannot continue.
enum StringFormat: UInt8, Sendable {
    case none, date, time, dateTime, uuid, email

    init?(name: String) {
        switch name {
        case "date": self = .date
        case "time": self = .time
        case "date-time": self = .dateTime
        case "uuid": self = .uuid
        case "email": self = .email
        default: return nil
        }
    }

    static let supportedNames = ["date", "date-time", "email", "time", "uuid"]

    @inline(__always) private static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
    @inline(__always) private static func isHex(_ b: UInt8) -> Bool { isDigit(b) || (b >= 0x61 && b <= 0x66) }
    @inline(__always) private static func isAlnum(_ b: UInt8) -> Bool {
        isDigit(b) || (b | 0x20 >= 0x61 && b | 0x20 <= 0x7A)
    }

    /// The state after `byte`, or -1.
    func advance(_ state: Int32, _ byte: UInt8) -> Int32 {
        switch self {
        case .none: return state
        case .date: return Self.date(state, byte)
        case .time: return Self.time(state, byte)
        case .dateTime:
            // Below 64: inside the date (its states use bits 0-5 for the position, 8+ for the month/day memory).
            if state & 0x4000_0000 == 0 {
                if state & 0x3F == 10 { return byte == 0x54 ? 0x4000_0000 : -1 }  // "T"
                return Self.date(state, byte)
            }
            let inner = Self.time(state & 0x3FFF_FFFF, byte)
            return inner < 0 ? -1 : inner | 0x4000_0000
        case .uuid:
            let position = Int(state)
            guard position < 36 else { return -1 }
            if position == 8 || position == 13 || position == 18 || position == 23 { return byte == 0x2D ? state + 1 : -1 }
            return Self.isHex(byte) ? state + 1 : -1
        case .email:
            return Self.email(state, byte)
        }
    }

    /// Whether a value may end in `state`.
    func accepts(_ state: Int32) -> Bool {
        switch self {
        case .none: return true
        case .date: return state & 0x3F == 10
        case .time: return Self.timeAccepts(state)
        case .dateTime: return state & 0x4000_0000 != 0 && Self.timeAccepts(state & 0x3FFF_FFFF)
        case .uuid: return state == 36
        case .email: return state == 5
        }
    }

    /// Date: position in bits 0-5, month in bits 8-11, day tens digit in bits 12-15.
    private static func date(_ state: Int32, _ b: UInt8) -> Int32 {
        let position = state & 0x3F
        let month = (state >> 8) & 0xF
        let dayTens = (state >> 12) & 0xF
        let d = Int32(b) - 0x30
        let digit = isDigit(b)
        switch position {
        case 0: return b == 0x31 || b == 0x32 ? 1 : -1
        case 1, 2, 3: return digit ? state + 1 : -1
        case 4, 7: return b == 0x2D ? state + 1 : -1
        case 5: return b == 0x30 || b == 0x31 ? (position + 1) | (d << 8) : -1  // month tens kept in the month bits
        case 6:
            let tens = month
            guard digit, (tens == 0 && d >= 1) || (tens == 1 && d <= 2) else { return -1 }
            return 7 | ((tens * 10 + d) << 8)
        case 8:
            guard digit, d <= 2 || (d == 3 && month != 2) else { return -1 }
            return 9 | (month << 8) | (d << 12)
        case 9:
            guard digit else { return -1 }
            let ok: Bool
            switch dayTens {
            case 0: ok = d >= 1
            case 1: ok = true
            case 2: ok = month != 2 || d <= 8
            default: ok = d == 0 || (d == 1 && [1, 3, 5, 7, 8, 10, 12].contains(month))
            }
            return ok ? 10 | (month << 8) : -1
        default: return -1
        }
    }

    /// Time: position in bits 0-5, the previous digit in bits 8-11, fraction digits in bits 12-15.
    /// Positions: 0-7 `HH:MM:SS`; 8 after seconds; 9 in the fraction; 10 `Z` written (end);
    /// 11-15 the offset's `HH:MM` after the sign (16: end).
    private static func time(_ state: Int32, _ b: UInt8) -> Int32 {
        let position = state & 0x3F
        let previous = (state >> 8) & 0xF
        let d = Int32(b) - 0x30
        let digit = isDigit(b)
        func next(_ p: Int32, keep: Int32 = 0) -> Int32 { p | (keep << 8) }
        switch position {
        case 0, 11: return digit && d <= 2 ? next(position + 1, keep: d) : -1
        case 1, 12:
            guard digit, previous < 2 || d <= 3 else { return -1 }
            return next(position + 1)
        case 2, 5, 13: return b == 0x3A ? next(position + 1) : -1
        case 3, 6, 14: return digit && d <= 5 ? next(position + 1) : -1
        case 4, 7: return digit ? next(position + 1) : -1
        case 15: return digit ? 16 : -1
        case 8:
            if b == 0x2E { return 9 }
            fallthrough
        case 9:
            let fraction = (state >> 12) & 0xF
            if position == 9, digit, fraction < 6 { return 9 | ((fraction + 1) << 12) }
            if position == 9, fraction == 0 { return -1 }
            if b == 0x5A { return 10 }
            if b == 0x2B || b == 0x2D { return 11 }
            return -1
        default: return -1
        }
    }

    private static func timeAccepts(_ state: Int32) -> Bool {
        let position = state & 0x3F
        return position == 10 || position == 16
    }

    /// Email: 0 start, 1 in the local part, 2 after `@`, 3 in the first label, 4 after a dot, 5 in a later label.
    private static func email(_ state: Int32, _ b: UInt8) -> Int32 {
        let local = isAlnum(b) || b == 0x2E || b == 0x5F || b == 0x25 || b == 0x2B || b == 0x2D
        let label = isAlnum(b) || b == 0x2D
        switch state {
        case 0: return local && b != 0x2E ? 1 : -1
        case 1: return b == 0x40 ? 2 : (local ? 1 : -1)
        case 2: return isAlnum(b) ? 3 : -1
        case 3: return b == 0x2E ? 4 : (label ? 3 : -1)
        case 4: return isAlnum(b) ? 5 : -1
        case 5: return b == 0x2E ? 4 : (label ? 5 : -1)
        default: return -1
        }
    }
}
