// PS3.4 §C.4.1.1.3 (C-FIND identifier), §C.4.2.1.4 / §C.4.3.1.3 (C-MOVE / C-GET identifier):
// what a Query/Retrieve identifier asks for, read once and checked against the model.
import DicomArchive
import DicomCore

/// A Query/Retrieve identifier, read into the index's terms.
struct IdentifierQuery: Sendable {
    var model: QueryRetrieveModel
    var level: QueryLevel
    var query: IndexQuery
    /// The identifier's elements in order (the return keys).
    var requested: [DataElement]
    /// A key with a matching value that the index cannot match on was given (PS3.4 §C.4.1.1.4:
    /// pending status FF01, "one or more Optional Keys were not supported").
    var unsupportedMatching: [String]

    /// Why an identifier cannot be used, with the status PS3.4 Table C.4-1 gives it.
    struct Failure: Error, DimseStatusConvertible {
        var dimseStatus: DimseStatus
        var errorComment: String
    }

    /// Elements of the identifier that are not matched on (PS3.4 §C.4.1.1.3.1): the character
    /// set and level (answered by the response builder) and keys returned as we know them
    /// (Retrieve AE Title, Instance Availability, Timezone Offset, Query/Retrieve View).
    static let control: Set<Tag> = [.specificCharacterSet, .queryRetrieveLevel]
    static let returnOnly: Set<Tag> = [Tag(0x0008, 0x0054), Tag(0x0008, 0x0056), Tag(0x0008, 0x0201), Tag(0x0008, 0x0053)]

    /// Reads `identifier` for `model`.
    /// - Throws: `Failure` A900 for a missing or wrong level or a key below the level with a value;
    ///   C000 for a malformed matching value or a character set we do not know.
    init(_ identifier: DataSet, model: QueryRetrieveModel, personNameCaseInsensitive: Bool, limit: Int) throws(Failure) {
        self.model = model
        guard let levelText = identifier.string(.queryRetrieveLevel) else {
            throw Failure(dimseStatus: .dataSetDoesNotMatchSOPClass, errorComment: "Query/Retrieve Level (0008,0052) is missing")
        }
        guard let level = QueryLevel(rawValue: levelText.uppercased()), model.levels.contains(level) else {
            throw Failure(dimseStatus: .dataSetDoesNotMatchSOPClass,
                          errorComment: "Query/Retrieve Level \"\(levelText)\" is not a level of the \(model) model")
        }
        let unknown = identifier.characterSet.unknownTerms
        if !unknown.isEmpty {
            throw Failure(dimseStatus: .cannotUnderstand,
                          errorComment: "Specific Character Set \(unknown.joined(separator: "\\")) is not supported")
        }
        self.level = level
        var conditions: [QueryKey: MatchCondition] = [:]
        var requested: [DataElement] = []
        var unsupported: [String] = []
        var returnKeys: Set<QueryKey> = []
        for element in identifier where element.tag.element != 0x0000 && !Self.control.contains(element.tag) {
            let hasValue = element.vr == .SQ ? !(element.items ?? []).isEmpty : !element.bytes.isEmpty
            if Self.returnOnly.contains(element.tag) {
                requested.append(element)
            } else if let key = QueryKey.byTag[element.tag] {
                if key.level > level {
                    // PS3.4 §C.4.1.2.1: no keys below the query level (hierarchical and relational alike).
                    if hasValue {
                        throw Failure(dimseStatus: .dataSetDoesNotMatchSOPClass,
                                      errorComment: "\(key.keyword) is an \(key.level.rawValue)-level key; the query is at \(level.rawValue)")
                    }
                    continue
                }
                returnKeys.insert(key)
                requested.append(element)
                guard hasValue else { continue }
                let text = identifier.strings(element.tag).joined(separator: "\\")
                do {
                    conditions[key] = try MatchCondition.parse(text, vr: key.vr, keyword: key.keyword)
                } catch {
                    throw Failure(dimseStatus: .cannotUnderstand, errorComment: error.description)
                }
            } else {
                requested.append(element)
                if hasValue { unsupported.append(DataDictionary.keyword(for: element.tag) ?? "\(element.tag)") }
            }
        }
        self.requested = requested
        self.unsupportedMatching = unsupported
        self.query = IndexQuery(level: level, conditions: conditions, personNameCaseInsensitive: personNameCaseInsensitive,
                                limit: limit, returnKeys: returnKeys)
    }
}
