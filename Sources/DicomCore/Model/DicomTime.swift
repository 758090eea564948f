import Foundation

/// A Time (TM) value, PS3.5 §6.2 Table 6.2-1: "HH", "HHMM", "HHMMSS" or "HHMMSS.F" with one to six
/// fraction digits. The ACR-NEMA form "HH:MM:SS.frac" is read too. A value keeps its precision,
/// including how many fraction digits it was written with.
public struct DicomTime: Sendable, Hashable, Comparable, CustomStringConvertible {
    public enum Precision: Int, Sendable, Comparable {
        case hour, minute, second, fraction
        public static func < (a: Precision, b: Precision) -> Bool { a.rawValue < b.rawValue }
    }

    /// 0...23.
    public let hour: Int
    /// 0...59, nil for an hour-only value.
    public let minute: Int?
    /// 0...60 (60 for a leap second), nil when not given.
    public let second: Int?
    /// The fraction of the second in microseconds, nil when not given.
    public let microsecond: Int?
    /// How many fraction digits to write (1...6); 0 when there is no fraction.
    public let fractionDigits: Int

    public var precision: Precision {
        microsecond != nil ? .fraction : second != nil ? .second : minute != nil ? .minute : .hour
    }

    /// - Parameters:
    ///   - microsecond: 0...999999; needs `second`.
    ///   - fractionDigits: digits to write the fraction with; it must be exact in that many digits.
    /// - Returns: nil for an impossible time or a field given without the one before it.
    public init?(hour: Int, minute: Int? = nil, second: Int? = nil, microsecond: Int? = nil, fractionDigits: Int = 6) {
        guard (0...23).contains(hour) else { return nil }
        if let minute { guard (0...59).contains(minute) else { return nil } }
        if let second { guard minute != nil, (0...60).contains(second) else { return nil } }
        if let microsecond {
            guard second != nil, (0...999_999).contains(microsecond), (1...6).contains(fractionDigits) else { return nil }
            guard microsecond % DicomTime.scale(fractionDigits) == 0 else { return nil }
        }
        self.hour = hour
        self.minute = minute
        self.second = second
        self.microsecond = microsecond
        self.fractionDigits = microsecond == nil ? 0 : fractionDigits
    }

    /// Parses a TM value; leading and trailing spaces are ignored. nil when malformed.
    public init?(parsing text: some StringProtocol) {
        var t = Substring(text.trimmingSpaces())
        // ACR-NEMA "HH:MM:SS.frac" (PS3.5 (2006) §6.2 TM): colons between the fields.
        if t.contains(":") {
            let parts = t.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count <= 3, parts.dropLast().allSatisfy({ $0.utf8.count == 2 }) else { return nil }
            t = Substring(parts.joined())
        }
        var fraction: Substring?
        if let dot = t.firstIndex(of: ".") {
            fraction = t[t.index(after: dot)...]
            t = t[..<dot]
        }
        guard [2, 4, 6].contains(t.utf8.count), let f = DicomDate.digitFields(t, widths: [2, 2, 2]) else { return nil }
        var micro: Int?
        var digits = 6
        if let fraction {
            digits = fraction.utf8.count
            guard f.count == 3, (1...6).contains(digits), let v = DicomDate.digitFields(fraction, widths: [digits]) else { return nil }
            micro = v[0] * DicomTime.scale(digits)
        }
        self.init(hour: f[0], minute: f.count > 1 ? f[1] : nil, second: f.count > 2 ? f[2] : nil,
                  microsecond: micro, fractionDigits: digits)
    }

    /// The time of `date` in `timeZone`, to the microsecond.
    public init(_ date: Date, timeZone: TimeZone) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let c = calendar.dateComponents([.hour, .minute, .second], from: date)
        let whole = date.timeIntervalSinceReferenceDate.rounded(.down)
        let micro = Int(((date.timeIntervalSinceReferenceDate - whole) * 1_000_000).rounded(.down))
        hour = c.hour ?? 0
        minute = c.minute ?? 0
        second = c.second ?? 0
        microsecond = min(max(micro, 0), 999_999)
        fractionDigits = 6
    }

    /// "HHMMSS.FFFFFF" with exactly the fields and fraction digits the value has.
    public var description: String {
        var s = DicomDate.pad(hour, 2)
        if let minute { s += DicomDate.pad(minute, 2) }
        if let second { s += DicomDate.pad(second, 2) }
        if let microsecond {
            s += "." + DicomDate.pad(microsecond / DicomTime.scale(fractionDigits), fractionDigits)
        }
        return s
    }

    /// Hour, and minute, second and nanosecond where given.
    public var dateComponents: DateComponents {
        DateComponents(hour: hour, minute: minute, second: second, nanosecond: microsecond.map { $0 * 1000 })
    }

    /// Seconds since midnight at the start of the range the value covers.
    public var secondsSinceMidnight: Double {
        let whole: Int = hour * 3600 + (minute ?? 0) * 60 + (second ?? 0)
        return Double(whole) + Double(microsecond ?? 0) / 1_000_000
    }

    public static func < (a: DicomTime, b: DicomTime) -> Bool {
        a.sortKey.lexicographicallyPrecedes(b.sortKey)
    }

    /// Fields in order, -1 for those not given, so that a less precise value sorts first on a tie.
    var sortKey: [Int] {
        [hour, minute ?? -1, second ?? -1, microsecond ?? -1]
    }

    /// Microseconds per unit of the last of `digits` fraction digits.
    static func scale(_ digits: Int) -> Int {
        var s = 1
        for _ in stride(from: digits, to: 6, by: 1) { s *= 10 }
        return s
    }
}
