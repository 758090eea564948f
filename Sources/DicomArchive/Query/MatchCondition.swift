// PS3.4 §C.2.2.2: the kinds of attribute matching a C-FIND (and QIDO-RS, PS3.18 §8.3.4) key asks for.
import DicomCore

/// How one key matches, read from the value the query gave it.
public enum MatchCondition: Sendable, Equatable {
    /// §C.2.2.2.3: zero-length value, or "*" alone — every entity matches (a return key only).
    case universal
    /// §C.2.2.2.1: the value exactly (for PN, case-insensitively when configured).
    case single(String)
    /// §C.2.2.2.4: "*" any run of characters, "?" any one character.
    case wildcard(String)
    /// §C.2.2.2.5: an inclusive range of DA, TM or DT values; either side may be open.
    /// The bounds are normalized for text comparison (see `MatchCondition.parse`).
    case range(lower: String?, upper: String?)
    /// §C.2.2.2.2 (list of UID matching) and multiple values (§C.2.2.2.8): any of the values.
    indirect case anyOf([MatchCondition])
}

/// Why a query value cannot be used; answered as C000 (Unable to process) by the SCP.
public struct MatchConditionError: Error, Sendable, Equatable, CustomStringConvertible {
    public var keyword: String
    public var value: String
    public var description: String { "\(keyword): \"\(value)\" is not a valid matching value" }
}

extension MatchCondition {
    /// Reads the matching a query value asks for, given the key's VR.
    ///
    /// - DA, TM, DT with a "-" are ranges (§C.2.2.2.5); a range with a malformed side is an error.
    ///   TM upper bounds are filled up to the end of the unit they name ("1800" → "180059.999999"),
    ///   so text comparison of stored times of any precision is right; DA/DT need no filling.
    /// - Values with "*" or "?" are wildcards, except for DA, TM, DT, UI and numbers, which
    ///   allow none (§C.2.2.2.4: wildcards apply to AE, CS, LO, LT, PN, SH, ST, UC, UR, UT).
    /// - Several values separated by "\" match any of them (§C.2.2.2.2 for UI).
    public static func parse(_ raw: String, vr: VR, keyword: String) throws(MatchConditionError) -> MatchCondition {
        let value = raw
        if value.isEmpty || value == "*" { return .universal }
        let parts = vr.allowsMultipleValues || vr == .UI
            ? value.split(separator: "\\", omittingEmptySubsequences: true).map(String.init) : [value]
        if parts.count > 1 {
            var list: [MatchCondition] = []
            for p in parts { list.append(try parse(p, vr: vr, keyword: keyword)) }
            if list.contains(.universal) { return .universal }
            return .anyOf(list)
        }
        let v = parts.first ?? value
        switch vr {
        case .DA:
            if v.contains("-") {
                guard let r = DicomDateRange(parsing: v) else { throw MatchConditionError(keyword: keyword, value: v) }
                return .range(lower: r.lower.map(Self.dateKey), upper: r.upper.map(Self.dateKey))
            }
            guard let d = DicomDate(parsing: v) else { throw MatchConditionError(keyword: keyword, value: v) }
            return .single(dateKey(d))
        case .TM:
            if v.contains("-") {
                guard let r = DicomTimeRange(parsing: v) else { throw MatchConditionError(keyword: keyword, value: v) }
                let lower = r.lower.map { Self.timeText(v, $0, upper: false) }
                let upper = r.upper.map { Self.timeText(v, $0, upper: true) }
                return .range(lower: lower, upper: upper)
            }
            guard DicomTime(parsing: v) != nil else { throw MatchConditionError(keyword: keyword, value: v) }
            return .single(v)
        case .DT:
            if v.contains("-") && DicomDateTime(parsing: v) == nil {
                guard let r = DicomDateTimeRange(parsing: v) else { throw MatchConditionError(keyword: keyword, value: v) }
                // "~" sorts after every character of a DT value: an upper bound "20060705"
                // includes every time of that day.
                return .range(lower: r.lower.map(\.description), upper: r.upper.map { $0.description + "~" })
            }
            return .single(v)
        case .UI, .IS, .DS, .US, .UL, .SS, .SL, .FL, .FD:
            if vr == .UI, !v.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }) || v.utf8.count > 64 {
                throw MatchConditionError(keyword: keyword, value: v)
            }
            if vr == .IS, Int(v.trimmingCharacters(in: .whitespaces)) == nil {
                throw MatchConditionError(keyword: keyword, value: v)
            }
            return .single(v.trimmingCharacters(in: .whitespaces))
        default:
            if v.contains("*") || v.contains("?") { return .wildcard(v) }
            return .single(v)
        }
    }

    /// YYYYMMDD, the form dates are stored in.
    static func dateKey(_ d: DicomDate) -> String {
        func pad(_ n: Int, _ w: Int) -> String { let s = String(n); return String(repeating: "0", count: max(0, w - s.count)) + s }
        return pad(d.year, 4) + pad(d.month ?? 1, 2) + pad(d.day ?? 1, 2)
    }

    /// A TM range bound as text; an upper bound is filled to the end of what it names.
    static func timeText(_ whole: String, _ t: DicomTime, upper: Bool) -> String {
        let s = t.description.replacingOccurrences(of: ":", with: "")
        guard upper else { return s }
        let digits = s.split(separator: ".").first.map(String.init) ?? s
        switch digits.count {
        case 2: return digits + "5959.999999"
        case 4: return digits + "59.999999"
        default: return s.contains(".") ? s + "999999" : s + ".999999"
        }
    }
}

/// PS3.4 §C.2.2.2.1 and PS3.5 §6.2.1: the forms a Person Name is matched in. Each component
/// group is kept apart (a query for "王*" finds "Wang^XiaoDong=王^小东"), upper-cased when PN
/// matching is case-insensitive, with trailing spaces and empty trailing components dropped.
public enum PersonNameKey {
    /// The alphabetic, ideographic and phonetic groups of a stored name, as matching keys.
    public static func groups(of name: String?) -> (alphabetic: String?, ideographic: String?, phonetic: String?) {
        guard let name, !name.isEmpty else { return (nil, nil, nil) }
        let g = name.split(separator: "=", maxSplits: 2, omittingEmptySubsequences: false).map { normalize($0) }
        func at(_ i: Int) -> String? { i < g.count && !g[i].isEmpty ? g[i] : nil }
        return (at(0), at(1), at(2))
    }

    /// One group (or a query value) as a key: upper-cased, trailing "^" and spaces removed.
    public static func normalize(_ text: some StringProtocol) -> String {
        var s = String(text).uppercased()
        while let last = s.last, last == "^" || last == " " { s.removeLast() }
        return s
    }
}
