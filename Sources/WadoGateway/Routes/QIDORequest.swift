// PS3.18 §8.3.4 (query parameters) and §10.6 (QIDO-RS): a search request read into the index's
// terms — the same IndexQuery and MatchCondition that C-FIND uses (PS3.4 §C.2.2.2).
import DicomArchive
import DicomCore
import Foundation

struct QIDORequest: Sendable {
    var query: IndexQuery
    /// The keys each result carries, in catalog order.
    var returnKeys: [QueryKey]
    /// Also return Retrieve AE Title (0008,0054) / Retrieve URL (0008,1190) / Instance Availability.
    var includeRetrieveAETitle = false
    var includeRetrieveURL = true
    var includeAvailability = true
    /// Parameters ignored, for the Warning header (PS3.18 §8.3.4: an unsupported key is ignored
    /// and a warning returned).
    var warnings: [String] = []
    var xml = false

    /// The attributes PS3.18 Tables 10.6.3-3 (study), 10.6.3-4 (series) and 10.6.3-5 (instance)
    /// require in every result of a level.
    static let defaults: [QueryLevel: [Tag]] = [
        .study: [.studyDate, .studyTime, .accessionNumber, Tag(0x0008, 0x0061), .referringPhysicianName, .patientName,
                 .patientID, .patientBirthDate, .patientSex, .studyInstanceUID, .studyID,
                 Tag(0x0020, 0x1206), Tag(0x0020, 0x1208)],
        .series: [.modality, .seriesDescription, .seriesInstanceUID, .seriesNumber, Tag(0x0020, 0x1209),
                  .performedProcedureStepStartDate],
        .image: [.sopClassUID, .sopInstanceUID, .instanceNumber, .rows, .columns, .numberOfFrames,
                 Tag(0x0008, 0x3002)],
    ]

    /// Reads the query parameters of a search at `level`, scoped to a study and/or series by the path.
    /// - Throws: `DicomWebError` 400 naming the parameter that cannot be used.
    init(level: QueryLevel, study: String?, series: String?, parameters: [(key: Substring, value: Substring)],
         personNameCaseInsensitive: Bool, maxResults: Int) throws(DicomWebError) {
        var conditions: [QueryKey: MatchCondition] = [:]
        var returned = Set<QueryKey>()
        var includeAll = false
        var limit = maxResults
        var offset = 0
        // Read first: it changes how the name keys before it match.
        let fuzzy = parameters.contains { $0.key == "fuzzymatching" && $0.value == "true" }
        var warnings: [String] = []
        var wantsAETitle = false
        for (rawKey, rawValue) in parameters {
            let key = String(rawKey).removingPercentEncoding ?? String(rawKey)
            let value = String(rawValue)
            switch key {
            case "limit":
                guard let n = Int(value), n >= 0 else { throw .badRequest("limit=\(value.prefix(20)) is not a non-negative integer") }
                if n > maxResults { warnings.append("limit \(n) lowered to \(maxResults)") }
                limit = n == 0 ? maxResults : min(n, maxResults)
            case "offset":
                guard let n = Int(value), n >= 0 else { throw .badRequest("offset=\(value.prefix(20)) is not a non-negative integer") }
                offset = n
            case "fuzzymatching":
                guard value == "true" || value == "false" else { throw .badRequest("fuzzymatching must be true or false") }
            case "includefield":
                for field in value.split(separator: ",").map({ $0.trimmedOWS }) where !field.isEmpty {
                    if field == "all" { includeAll = true; continue }
                    let tag = try Self.attribute(field)
                    if let qk = QueryKey.byTag[tag], qk.level <= level {
                        returned.insert(qk)
                    } else if tag == Tag(0x0008, 0x0054) {
                        wantsAETitle = true
                    } else if ![Tag(0x0008, 0x1190), Tag(0x0008, 0x0056), Tag(0x0008, 0x0005)].contains(tag) {
                        warnings.append("includefield \(field) is not available at the \(level.rawValue) level")
                    }
                }
            case "accept", "charset", "_": continue
            default:
                if key.contains(".") {
                    warnings.append("sequence matching (\(key.prefix(64))) is not supported; the key was ignored")
                    continue
                }
                let tag = try Self.attribute(key)
                guard let qk = QueryKey.byTag[tag] else {
                    warnings.append("\(key) is not a matching key of this node; it was ignored")
                    continue
                }
                guard qk.level <= level else {
                    throw .badRequest("\(qk.keyword) is a \(qk.level.rawValue)-level attribute; this search is at the \(level.rawValue) level")
                }
                returned.insert(qk)
                // PS3.18 §8.3.4.1: UID lists may be separated by commas or backslashes.
                let text = qk.vr == .UI ? value.replacingOccurrences(of: ",", with: "\\") : value
                do {
                    var condition = try MatchCondition.parse(text, vr: qk.vr, keyword: qk.keyword)
                    if fuzzy, qk.vr == .PN {
                        condition = Self.fuzzy(condition)
                    }
                    conditions[qk] = condition
                } catch {
                    throw .badRequest(error.description)
                }
            }
        }
        // The path's UIDs are matching keys too.
        if let study { conditions[QueryKey.studyInstanceUID] = .single(study) }
        if let series { conditions[QueryKey.seriesInstanceUID] = .single(series) }

        // Defaults of the level, plus those of the levels above when the path does not fix them
        // (PS3.18 §10.6.3.3.1: /series and /instances results carry their study's attributes).
        var defaults = Self.defaults[level] ?? []
        if level == .image {
            defaults += [.studyInstanceUID, .seriesInstanceUID]
            if series == nil { defaults += Self.defaults[.series] ?? [] }
        }
        if level == .series { defaults.append(.studyInstanceUID) }
        if level >= .series, study == nil { defaults += Self.defaults[.study] ?? [] }
        for tag in defaults { if let qk = QueryKey.byTag[tag], qk.level <= level { returned.insert(qk) } }
        if includeAll {
            for qk in QueryKey.all where qk.level <= level { returned.insert(qk) }
            wantsAETitle = true
        }
        var q = IndexQuery(level: level, conditions: conditions, personNameCaseInsensitive: personNameCaseInsensitive,
                           limit: limit, returnKeys: returned)
        q.offset = offset
        self.query = q
        self.returnKeys = QueryKey.all.filter { returned.contains($0) }
        self.includeRetrieveAETitle = wantsAETitle
        self.warnings = warnings
    }

    /// A keyword ("PatientName") or a tag ("00100010") as PS3.18 §8.3.4.1 allows.
    static func attribute(_ text: String) throws(DicomWebError) -> Tag {
        if text.count == 8, let n = UInt32(text, radix: 16) {
            return Tag(UInt16(n >> 16), UInt16(n & 0xFFFF))
        }
        if let tag = DataDictionary.tag(forKeyword: text) { return tag }
        throw .badRequest("\"\(text.prefix(64))\" is neither a DICOM keyword nor a tag (PS3.18 §8.3.4.1)")
    }

    /// PS3.18 §8.3.4.6 fuzzymatching: a name given in full also matches names that start with
    /// it ("Doe" finds "DOE^JOHN"); matching ignores case already when configured.
    static func fuzzy(_ condition: MatchCondition) -> MatchCondition {
        switch condition {
        case .single(let v): return .wildcard(v + "*")
        case .wildcard(let v): return v.hasSuffix("*") ? condition : .wildcard(v + "*")
        case .anyOf(let list): return .anyOf(list.map(fuzzy))
        default: return condition
        }
    }
}
