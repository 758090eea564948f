/// A range matching key for DA, TM or DT attributes in a query, PS3.4 §C.2.2.2.5:
/// "A-B" (A to B inclusive), "-B" (up to B) or "A-" (from A). Parse only.
///
/// `DicomDateRange`, `DicomTimeRange` and `DicomDateTimeRange` name the three forms.
public struct DicomRange<Bound: DicomRangeBound>: Sendable, Hashable {
    /// nil for "-B".
    public let lower: Bound?
    /// nil for "A-".
    public let upper: Bound?

    public init?(lower: Bound?, upper: Bound?) {
        guard lower != nil || upper != nil else { return nil }
        self.lower = lower
        self.upper = upper
    }

    /// Parses a range. nil when `text` is a single value (that is single value matching, not a range
    /// — PS3.4 §C.2.2.2.1) or either side is malformed.
    ///
    /// A DT value's UTC offset may itself start with "-"; the range's "-" is the first one that
    /// leaves a valid value (or nothing) on both sides, so "20200101-0500-20200102-0500" is a range
    /// between two offset date-times, while "20200101-0500" is a single value.
    public init?(parsing text: some StringProtocol) {
        let t = Substring(text.trimmingSpaces())
        guard Bound(parsing: t) == nil else { return nil }
        var i = t.startIndex
        while let dash = t[i...].firstIndex(of: "-") {
            let left = t[..<dash]
            let right = t[t.index(after: dash)...]
            let lower = left.isEmpty ? nil : Bound(parsing: left)
            let upper = right.isEmpty ? nil : Bound(parsing: right)
            if (left.isEmpty || lower != nil) && (right.isEmpty || upper != nil) {
                self.init(lower: lower, upper: upper)
                return
            }
            i = t.index(after: dash)
        }
        return nil
    }
}

/// A value that can bound a `DicomRange`.
public protocol DicomRangeBound: Sendable, Hashable {
    init?(parsing text: Substring)
}

extension DicomDate: DicomRangeBound {}
extension DicomTime: DicomRangeBound {}
extension DicomDateTime: DicomRangeBound {}

public typealias DicomDateRange = DicomRange<DicomDate>
public typealias DicomTimeRange = DicomRange<DicomTime>
public typealias DicomDateTimeRange = DicomRange<DicomDateTime>
