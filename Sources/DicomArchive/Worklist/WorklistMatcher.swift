// PS3.4 §K.2.2.1 (by reference to §C.2.2.2): matching a Modality Worklist query identifier
// against a worklist item. Every key with a value is a matching key — single value, wildcard,
// range, list — including keys inside the Scheduled Procedure Step Sequence item (sequence
// matching, §C.2.2.2.6: an entry matches when one of its items matches every key of the query item).
import DicomCore

public struct WorklistMatcher: Sendable {
    /// One matching key: where it is and how it matches.
    struct Key: Sendable {
        var tag: Tag
        var vr: VR
        var condition: MatchCondition
    }

    let keys: [Key]
    /// Sequence keys: tag → the matcher for its query item.
    let sequences: [(Tag, WorklistMatcher)]
    let personNameCaseInsensitive: Bool

    /// Reads the matching keys of a query identifier.
    /// - Throws: `MatchConditionError` when a value cannot be used for matching (→ C000).
    public init(query: DataSet, personNameCaseInsensitive: Bool = true) throws(MatchConditionError) {
        var keys: [Key] = []
        var sequences: [(Tag, WorklistMatcher)] = []
        for element in query.elements {
            let tag = element.tag
            if tag == .specificCharacterSet || tag.group == 0x0002 || tag.isPrivate { continue }
            if element.vr == .SQ {
                if let item = element.items?.first?.dataSet, !item.isEmpty {
                    var it = item
                    if it[.specificCharacterSet] == nil { it.characterSet = query.characterSet }
                    sequences.append((tag, try WorklistMatcher(query: it, personNameCaseInsensitive: personNameCaseInsensitive)))
                }
                continue
            }
            guard element.vr.isString else { continue }
            let raw = query.strings(tag).joined(separator: "\\")
            let condition = try MatchCondition.parse(raw, vr: element.vr, keyword: DataDictionary.entry(for: tag)?.keyword ?? "\(tag)")
            if condition != .universal { keys.append(Key(tag: tag, vr: element.vr, condition: condition)) }
        }
        self.keys = keys
        self.sequences = sequences
        self.personNameCaseInsensitive = personNameCaseInsensitive
    }

    /// The exact values the store can filter on before full matching.
    public var prefilter: WorklistPrefilter {
        var p = WorklistPrefilter()
        func single(_ tag: Tag, in keys: [Key]) -> String? {
            if case .single(let v)? = keys.first(where: { $0.tag == tag })?.condition { return v }
            return nil
        }
        p.patientID = single(.patientID, in: keys)
        p.accessionNumber = single(.accessionNumber, in: keys)
        if let sps = sequences.first(where: { $0.0 == .scheduledProcedureStepSequence })?.1 {
            p.scheduledStationAETitle = single(.scheduledStationAETitle, in: sps.keys)
            p.modality = single(.modality, in: sps.keys)
        }
        return p
    }

    /// True when `item` matches every key.
    public func matches(_ item: DataSet) -> Bool {
        for key in keys {
            let values = item.strings(key.tag)
            guard values.contains(where: { matches($0, key.condition, vr: key.vr) }) else { return false }
        }
        for (tag, sub) in sequences {
            guard let items = item.sequence(tag) else { return false }
            let found = items.contains { it in
                var it = it
                if it[.specificCharacterSet] == nil { it.characterSet = item.characterSet }
                return sub.matches(it)
            }
            if !found { return false }
        }
        return true
    }

    func matches(_ stored: String, _ condition: MatchCondition, vr: VR) -> Bool {
        switch condition {
        case .universal:
            return true
        case .anyOf(let list):
            return list.contains { matches(stored, $0, vr: vr) }
        case .single(let v):
            if vr == .PN { return personName(stored, matches: v, wildcard: false) }
            if vr == .DA, let d = DicomDate(parsing: stored) { return MatchCondition.dateKey(d) == v }
            if vr == .TM { return Self.timeKey(stored) == v.replacingOccurrences(of: ":", with: "") }
            return stored.trimmingCharacters(in: .whitespaces) == v
        case .wildcard(let pattern):
            if vr == .PN { return personName(stored, matches: pattern, wildcard: true) }
            return Self.glob(Array(pattern), Array(stored))
        case .range(let lower, let upper):
            let key: String
            switch vr {
            case .DA:
                guard let d = DicomDate(parsing: stored) else { return false }
                key = MatchCondition.dateKey(d)
            case .TM: key = Self.timeKey(stored)
            default: key = stored
            }
            if let lower, key < lower { return false }
            if let upper, key > upper { return false }
            return true
        }
    }

    /// §C.2.2.2.1: each component group of a stored name is tried on its own; case is ignored
    /// when configured so.
    func personName(_ stored: String, matches query: String, wildcard: Bool) -> Bool {
        let g = PersonNameKey.groups(of: stored)
        let q = personNameCaseInsensitive ? PersonNameKey.normalize(query) : query
        for group in [g.alphabetic, g.ideographic, g.phonetic].compactMap({ $0 }) {
            if wildcard ? Self.glob(Array(q), Array(group)) : group == q { return true }
        }
        if !wildcard, PersonNameKey.normalize(stored) == q { return true }
        return wildcard && Self.glob(Array(q), Array(personNameCaseInsensitive ? stored.uppercased() : stored))
    }

    static func timeKey(_ t: String) -> String { t.replacingOccurrences(of: ":", with: "").trimmingCharacters(in: .whitespaces) }

    /// "*" any run, "?" any one character (§C.2.2.2.4).
    static func glob(_ p: [Character], _ s: [Character]) -> Bool {
        var pi = 0, si = 0, star = -1, mark = 0
        while si < s.count {
            if pi < p.count, p[pi] == "?" || p[pi] == s[si] {
                pi += 1; si += 1
            } else if pi < p.count, p[pi] == "*" {
                star = pi; mark = si; pi += 1
            } else if star >= 0 {
                pi = star + 1; mark += 1; si = mark
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == "*" { pi += 1 }
        return pi == p.count
    }
}
