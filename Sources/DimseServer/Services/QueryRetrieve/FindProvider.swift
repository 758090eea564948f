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
        let transferSyntax = TransferSyntax(uid: request.context.transferSyntax)
        let summary: FindSummary
        do {
            summary = try await index.find(query, pageSize: 128) { matches in
                // A page goes out in one write; C-CANCEL is looked at between pages.
                if operation.isCancelled { return false }
                do {
                    var identifiers: [[UInt8]] = []
                    identifiers.reserveCapacity(matches.count)
                    for match in matches {
                        identifiers.append(try responder.encodedResponse(for: match, transferSyntax: transferSyntax)
                            ?? DimseDataSetCoding.encode(responder.response(for: match), transferSyntax: transferSyntax))
                    }
                    try await operation.send(DimseReply(status: pending), encodedDataSets: identifiers)
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
    /// The response's elements in tag order, for `encodedResponse`: nil when a requested key is a
    /// sequence or the fixed values do not encode (the data set path handles those).
    private let slots: [Slot]?

    private enum Slot {
        /// A key from the index: its value, or zero-length.
        case key(QueryKey, Tag, VR)
        /// The same for every match (character set, level, Retrieve AE Title, empty keys).
        case fixed(Tag, VR, [UInt8])
    }

    init(requested: [DataElement], level: QueryLevel, characterSet: SpecificCharacterSet, retrieveAETitle: String) {
        self.requested = requested
        self.level = level
        self.characterSet = characterSet
        self.retrieveAETitle = retrieveAETitle
        slots = Self.slots(requested: requested, level: level, characterSet: characterSet, retrieveAETitle: retrieveAETitle)
    }

    func response(for match: QueryMatch) -> DataSet {
        // Values that no character set holds cannot come from our index; then the keys go empty.
        responseIdentifier(in: characterSet, build: { try build(match, characterSet: $0) },
                           empty: { try build(QueryMatch(values: [:]), characterSet: .default) })
    }

    /// The response identifier of `match` encoded straight into bytes, without a `DataSet`: the
    /// bytes `DimseDataSetCoding.encode(response(for: match), …)` gives (a unit test compares
    /// them), at a fraction of the cost for a page of matches. nil when this path does not apply:
    /// big endian or deflated syntaxes, a sequence key, a US value, a value the query's character
    /// set cannot hold (then the data set path falls back to UTF-8, PS3.4 §C.4.1.1.3.2).
    func encodedResponse(for match: QueryMatch, transferSyntax: TransferSyntax) -> [UInt8]? {
        guard let slots, !transferSyntax.isBigEndian, !transferSyntax.isDeflated else { return nil }
        // The same element writer as the data set path, with its options (even lengths, PS3.5 §7.1).
        let writer = DataSetWriter(encoding: DataSetEncoding(transferSyntax), options: .normalized)
        var out: [UInt8] = []
        out.reserveCapacity(512)
        do {
            for slot in slots {
                switch slot {
                case .fixed(let tag, let vr, let bytes):
                    try writer.append(tag: tag, vr: vr, value: bytes, to: &out)
                case .key(let key, let tag, let vr):
                    var bytes: [UInt8] = []
                    if let value = match.values[key], !value.isEmpty {
                        // QueryMatch.put: a US value is a binary number (left to the data set path).
                        guard vr != .US, vr.isString else { return nil }
                        if vr.usesSpecificCharacterSet {
                            guard let encoded = try? characterSet.encode(value, vr: vr) else { return nil }
                            bytes = encoded
                        } else {
                            // The default repertoire (PS3.5 §6.1.2.1), as DataSet.set(_:string:vr:) checks.
                            guard value.unicodeScalars.allSatisfy({ $0.isASCII }) else { return nil }
                            bytes = Array(value.utf8)
                        }
                    }
                    try writer.append(tag: tag, vr: vr, value: bytes, to: &out)
                }
            }
        } catch {
            return nil                                   // too long for its VR: the data set path reports it
        }
        return out
    }

    /// The slots of `encodedResponse`, in the order the data set path would write them: the
    /// fixed values are made by that path itself, so their bytes are the same.
    private static func slots(requested: [DataElement], level: QueryLevel, characterSet cs: SpecificCharacterSet,
                              retrieveAETitle: String) -> [Slot]? {
        var fixed = DataSet()
        fixed.characterSet = cs
        var keys: [Tag: QueryKey] = [:]
        do {
            if !cs.terms.isEmpty { try fixed.set(.specificCharacterSet, strings: cs.terms) }
            try fixed.set(.queryRetrieveLevel, string: level.rawValue)
            for element in requested {
                let tag = element.tag
                if let key = QueryKey.byTag[tag] {
                    keys[tag] = key
                    fixed[tag] = nil
                } else if tag == Tag(0x0008, 0x0054) {
                    try fixed.set(tag, string: retrieveAETitle, vr: .AE)
                } else if tag == Tag(0x0008, 0x0056) {
                    try fixed.set(tag, string: "ONLINE", vr: .CS)
                } else if element.vr == .SQ {
                    return nil
                } else {
                    fixed[tag] = DataElement(tag: tag, vr: element.vr, value: .bytes([]))
                }
            }
        } catch {
            return nil
        }
        var slots: [(Tag, Slot)] = []
        for element in fixed.elements {
            guard case .bytes(let bytes) = element.value, keys[element.tag] == nil else { return nil }
            slots.append((element.tag, .fixed(element.tag, element.vr, bytes)))
        }
        for (tag, key) in keys { slots.append((tag, .key(key, tag, key.vr))) }
        return slots.sorted { $0.0 < $1.0 }.map(\.1)
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
