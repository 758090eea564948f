// PS3.4 §C.4.1: the C-FIND SCP of the Patient Root and Study Root Query/Retrieve information
// models, answered from the archive's index. Matches go out as pending responses while the
// index is read a page at a time; a C-CANCEL-RQ stops the search (final status FE00).
import DicomArchive
import DicomCore
import Logging

/// Settings of the Query/Retrieve SCP.
public struct QueryRetrieveSettings: Sendable {
    /// Our AE title, returned as Retrieve AE Title (0008,0054).
    public var aeTitle: String
    /// PS3.4 §C.2.2.2.1: PN matching ignores case.
    public var personNameCaseInsensitive: Bool = true
    /// At most this many matches per C-FIND (0: no limit). More matches end with A700 after
    /// the first `resultLimit` pending responses.
    public var resultLimit: Int = 0

    public init(aeTitle: String) {
        self.aeTitle = aeTitle
    }
}

public struct QueryRetrieveFindProvider: DimseServiceProvider {
    public let index: any ArchiveIndex
    public let settings: QueryRetrieveSettings
    let logger: Logger

    public init(index: any ArchiveIndex, settings: QueryRetrieveSettings, logger: Logger = Logger(label: "dicomnode.find")) {
        self.index = index
        self.settings = settings
        self.logger = logger
    }

    public var abstractSyntaxes: Set<String> { Set(QueryRetrieveModel.allCases.map(\.findSOPClass)) }
    public var commandFields: Set<CommandField> { [.cFindRQ] }

    /// PS3.4 §C.5.1.1.1 (Table C.5-1): byte 1 relational queries, byte 2 combined date and time
    /// range matching. We match without the hierarchical unique-key rule either way, so relational
    /// queries are accepted when asked for, and combined date-time matching too; fuzzy semantic
    /// person-name matching and timezone adjustment (bytes 3, 4) are declined (0).
    public func extendedNegotiation(for sopClass: String, proposed: [UInt8]) -> [UInt8]? {
        guard !proposed.isEmpty else { return nil }
        var answer: [UInt8] = [proposed[0] == 1 ? 1 : 0]
        if proposed.count > 1 { answer.append(proposed[1] == 1 ? 1 : 0) }
        if proposed.count > 2 { answer += Array(repeating: 0, count: min(proposed.count, 6) - 2) }
        return answer
    }

    public func perform(_ request: DimseRequest, operation: DimseOperation) async -> DimseReply {
        guard let model = QueryRetrieveModel(sopClass: request.context.abstractSyntax) else {
            return DimseReply(status: .noSuchSOPClass, comment: "not a C-FIND SOP class")
        }
        guard let identifier = request.dataSet else {
            return DimseReply(status: .cannotUnderstand, comment: "C-FIND-RQ without an identifier")
        }
        let parsed: IdentifierQuery
        do {
            parsed = try IdentifierQuery(identifier, model: model, personNameCaseInsensitive: settings.personNameCaseInsensitive,
                                         limit: settings.resultLimit)
        } catch {
            logger.notice("C-FIND refused: \(error.errorComment)", metadata: ["assoc": "\(operation.association.id)"])
            return DimseReply(status: error.dimseStatus, comment: error.errorComment)
        }
        var query = parsed.query
        let negotiated = operation.association.extendedNegotiation[request.context.abstractSyntax] ?? []
        query.combineDateTime = negotiated.count > 1 && negotiated[1] == 1
        let pending: DimseStatus = parsed.unsupportedMatching.isEmpty ? .pending : DimseStatus(rawValue: 0xFF01)
        let responder = ResponseBuilder(requested: parsed.requested, level: parsed.level,
                                        characterSet: identifier.characterSet, retrieveAETitle: settings.aeTitle)
        let summary: FindSummary
        do {
            summary = try await index.find(query, pageSize: 128) { matches in
                // A page goes out in one write; C-CANCEL is looked at between pages.
                if operation.isCancelled { return false }
                do {
                    try await operation.send(matches.map { DimseReply(status: pending, dataSet: responder.response(for: $0)) })
                } catch {
                    return false                         // the association went away
                }
                return !operation.isCancelled
            }
        } catch {
            logger.error("C-FIND index error: \(error)")
            return DimseReply(status: .outOfResources, comment: "the index could not be read")
        }
        if operation.isCancelled {
            // PS3.4 §C.4.1.1.4 / PS3.7 §9.1.2.1.6: Matching terminated due to Cancel request.
            return DimseReply(status: .cancel)
        }
        if settings.resultLimit > 0, summary.matched > settings.resultLimit {
            return DimseReply(status: .outOfResources,
                              comment: "\(summary.matched) matches; only the first \(settings.resultLimit) were returned")
        }
        return DimseReply(status: .success)
    }
}

/// Builds a C-FIND response identifier (PS3.4 §C.4.1.1.3.2): every requested key, with its
/// value when the index has one and zero-length otherwise, in the query's character set when
/// that can hold the values and in UTF-8 (ISO_IR 192) when it cannot.
struct ResponseBuilder: Sendable {
    var requested: [DataElement]
    var level: QueryLevel
    var characterSet: SpecificCharacterSet
    var retrieveAETitle: String

    func response(for match: QueryMatch) -> DataSet {
        // Values that no character set holds cannot come from our index; then the keys go empty.
        responseIdentifier(in: characterSet, build: { try build(match, characterSet: $0) },
                           empty: { try build(QueryMatch(values: [:]), characterSet: .default) })
    }

    private func build(_ match: QueryMatch, characterSet cs: SpecificCharacterSet) throws -> DataSet {
        var ds = DataSet()
        ds.characterSet = cs
        if !cs.terms.isEmpty { try ds.set(.specificCharacterSet, strings: cs.terms) }
        try ds.set(.queryRetrieveLevel, string: level.rawValue)
        for element in requested {
            let tag = element.tag
            if let key = QueryKey.byTag[tag] {
                try match.put(key, into: &ds)
            } else if tag == Tag(0x0008, 0x0054) {
                try ds.set(tag, string: retrieveAETitle, vr: .AE)          // Retrieve AE Title
            } else if tag == Tag(0x0008, 0x0056) {
                try ds.set(tag, string: "ONLINE", vr: .CS)                 // Instance Availability
            } else if element.vr == .SQ {
                ds.set(tag, sequence: [])
            } else {
                ds[tag] = DataElement(tag: tag, vr: element.vr, value: .bytes([]))
            }
        }
        return ds
    }
}
