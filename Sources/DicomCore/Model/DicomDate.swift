import Foundation

/// A Date (DA) value, PS3.5 §6.2 Table 6.2-1: "YYYYMMDD". The ACR-NEMA form "YYYY.MM.DD" is read
/// too. A date may be partial — year, or year and month — as the date part of a DT value is
/// (PS3.5 §6.2.0.1 DT), and it keeps the precision it was written with.
public struct DicomDate: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// How much of the date is given.
    public enum Precision: Int, Sendable, Comparable {
        case year, month, day
        public static func < (a: Precision, b: Precision) -> Bool { a.rawValue < b.rawValue }
    }

    public let year: Int
    /// 1...12, or nil for a year-only value.
    public let month: Int?
    /// 1...31 (valid for the month), or nil when the day is not given.
    public let day: Int?

    public var precision: Precision { day != nil ? .day : month != nil ? .month : .year }

    /// - Returns: nil for an impossible date (month 13, 30 February, a day without a month).
    public init?(year: Int, month: Int? = nil, day: Int? = nil) {
        guard (0...9999).contains(year) else { return nil }
        if let month {
            guard (1...12).contains(month) else { return nil }
        }
        if let day {
            guard let month, (1...DicomDate.daysIn(month: month, year: year)).contains(day) else { return nil }
        }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses "YYYYMMDD", the partial "YYYYMM" and "YYYY", or the ACR-NEMA "YYYY.MM.DD";
    /// leading and trailing spaces are ignored. nil for anything else.
    public init?(parsing text: some StringProtocol) {
        var t = Substring(text.trimmingSpaces())
        if t.count == 10, t.utf8.enumerated().allSatisfy({ ($0.offset == 4 || $0.offset == 7) == ($0.element == UInt8(ascii: ".")) }) {
            t = Substring(t.filter { $0 != "." })   // PS3.5 (2006) §6.2 DA: the retired "YYYY.MM.DD"
        }
        guard [4, 6, 8].contains(t.utf8.count), let digits = DicomDate.digitFields(t, widths: [4, 2, 2]) else { return nil }
        self.init(year: digits[0], month: digits.count > 1 ? digits[1] : nil, day: digits.count > 2 ? digits[2] : nil)
    }

    /// The date of `date` in `timeZone`, to the day.
    public init(_ date: Date, timeZone: TimeZone) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let c = calendar.dateComponents([.year, .month, .day], from: date)
        // Calendar components of a real Date are always in range.
        self.year = c.year ?? 1970
        self.month = c.month ?? 1
        self.day = c.day ?? 1
    }

    /// "20240131", "202401" or "2024", as given.
    public var description: String {
        var s = DicomDate.pad(year, 4)
        if let month { s += DicomDate.pad(month, 2) }
        if let day { s += DicomDate.pad(day, 2) }
        return s
    }

    /// Year, and month and day where given.
    public var dateComponents: DateComponents {
        DateComponents(calendar: Calendar(identifier: .gregorian), year: year, month: month, day: day)
    }

    /// The first instant of the date (or of its month or year, for a partial value) in `timeZone`.
    public func date(in timeZone: TimeZone) -> Date? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        return calendar.date(from: DateComponents(year: year, month: month ?? 1, day: day ?? 1))
    }

    /// Orders by the start of the range a value covers; a less precise value sorts first on a tie.
    public static func < (a: DicomDate, b: DicomDate) -> Bool {
        (a.year, a.month ?? 0, a.day ?? 0) < (b.year, b.month ?? 0, b.day ?? 0)
    }

    // MARK: - Helpers shared with TM and DT

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Splits all-digit `text` into leading fields of the given widths; the text must end on a field
    /// boundary. nil if a character is not a digit.
    static func digitFields(_ text: Substring, widths: [Int]) -> [Int]? {
        let bytes = Array(text.utf8)
        guard bytes.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        var out: [Int] = []
        var i = 0
        for w in widths where i < bytes.count {
            guard i + w <= bytes.count else { return nil }
            out.append(bytes[i..<i + w].reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) })
            i += w
        }
        return i == bytes.count ? out : nil
    }

    static func pad(_ v: Int, _ width: Int) -> String {
        let s = String(v)
        return String(repeating: "0", count: max(0, width - s.count)) + s
    }
}
