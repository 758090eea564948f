import Foundation

/// A Date Time (DT) value, PS3.5 §6.2 Table 6.2-1 and §6.2.0.1 (partial values):
/// "YYYY[MM[DD[HH[MM[SS[.F{1-6}]]]]]][&ZZXX]" where "&ZZXX" is an offset from UTC, "+" or "-" and
/// hours and minutes. Every component after the year is optional, and the value keeps exactly
/// the components it was written with.
public struct DicomDateTime: Sendable, Hashable, CustomStringConvertible {
    public let date: DicomDate
    /// The time of day; only with a full date.
    public let time: DicomTime?
    /// The offset from UTC in minutes (east positive), when the value gives one.
    public let utcOffsetMinutes: Int?

    /// - Returns: nil when a time is given without a full date, or the offset is outside
    ///   -12:00...+14:00 (PS3.5 Table 6.2-1 DT).
    public init?(date: DicomDate, time: DicomTime? = nil, utcOffsetMinutes: Int? = nil) {
        if time != nil { guard date.precision == .day else { return nil } }
        if let utcOffsetMinutes { guard (-12 * 60...14 * 60).contains(utcOffsetMinutes) else { return nil } }
        self.date = date
        self.time = time
        self.utcOffsetMinutes = utcOffsetMinutes
    }

    /// Parses a DT value; leading and trailing spaces are ignored. nil when malformed.
    public init?(parsing text: some StringProtocol) {
        var t = Substring(text.trimmingSpaces())
        guard !t.contains(" ") else { return nil }
        var offset: Int?
        if let signIndex = t.lastIndex(where: { $0 == "+" || $0 == "-" }) {
            let zone = t[t.index(after: signIndex)...]
            guard zone.utf8.count == 4, let f = DicomDate.digitFields(zone, widths: [2, 2]), f[1] < 60 else { return nil }
            offset = (f[0] * 60 + f[1]) * (t[signIndex] == "-" ? -1 : 1)
            t = t[..<signIndex]
        }
        // The date part is the leading digits up to 8; the rest (if any) is a TM value.
        let digitsEnd = t.firstIndex(where: { $0 == "." }) ?? t.endIndex
        let dateLength = min(8, t.distance(from: t.startIndex, to: digitsEnd))
        let split = t.index(t.startIndex, offsetBy: dateLength)
        guard let date = DicomDate(parsing: t[..<split]) else { return nil }
        var time: DicomTime?
        if split < t.endIndex {
            // A time needs its hour: "YYYYMMDDHH" at least; the TM parser's ":" form is not DT.
            guard !t[split...].contains(":"), let tm = DicomTime(parsing: t[split...]) else { return nil }
            time = tm
        }
        self.init(date: date, time: time, utcOffsetMinutes: offset)
    }

    /// The instant `date` in `timeZone`, to the microsecond, with that zone's offset written
    /// when `includeOffset` is true.
    public init(_ date: Date, timeZone: TimeZone, includeOffset: Bool = true) {
        self.date = DicomDate(date, timeZone: timeZone)
        self.time = DicomTime(date, timeZone: timeZone)
        let seconds = timeZone.secondsFromGMT(for: date)
        self.utcOffsetMinutes = includeOffset ? seconds / 60 : nil
    }

    /// The exact DT text: "20240131123000.5+0100".
    public var description: String {
        var s = date.description + (time?.description ?? "")
        if let utcOffsetMinutes {
            let a = abs(utcOffsetMinutes)
            s += (utcOffsetMinutes < 0 ? "-" : "+") + DicomDate.pad(a / 60, 2) + DicomDate.pad(a % 60, 2)
        }
        return s
    }

    /// The components given, with the time zone when the value has an offset.
    public var dateComponents: DateComponents {
        var c = date.dateComponents
        if let time {
            c.hour = time.hour
            c.minute = time.minute
            c.second = time.second
            c.nanosecond = time.microsecond.map { $0 * 1000 }
        }
        if let utcOffsetMinutes { c.timeZone = TimeZone(secondsFromGMT: utcOffsetMinutes * 60) }
        return c
    }

    /// The first instant of the range the value covers: in its own UTC offset when it has one,
    /// otherwise in `defaultTimeZone` (PS3.5 says: the Timezone Offset From UTC (0008,0201) of the
    /// data set, or the local time of the application).
    public func date(defaultTimeZone: TimeZone) -> Date? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = utcOffsetMinutes.flatMap { TimeZone(secondsFromGMT: $0 * 60) } ?? defaultTimeZone
        let c = DateComponents(year: date.year, month: date.month ?? 1, day: date.day ?? 1,
                               hour: time?.hour ?? 0, minute: time?.minute ?? 0, second: time?.second ?? 0)
        guard let start = calendar.date(from: c) else { return nil }
        return start.addingTimeInterval(Double(time?.microsecond ?? 0) / 1_000_000)
    }
}
