// PS3.4 Annex K: the Modality Worklist Information Model - FIND SCP
// (1.2.840.10008.5.1.4.31), answered from the WorklistStore.
// Statuses (PS3.4 §K.4.1.1.4, Table K.4-2 by reference to C.4-1): FF00 pending per match,
// 0000 success, FE00 cancelled (C-CANCEL-RQ), A900 identifier does not match SOP class,
// C000 unable to process (a value that cannot be matched), A700 out of resources (store error).
import DicomArchive
import DicomCore
import Foundation
import Logging

public struct WorklistFindProvider: DimseServiceProvider {
    public static let sopClass = "1.2.840.10008.5.1.4.31"

    public let store: any WorklistStore
    /// Completed and discontinued entries older than this are removed before each query.
    public var expireAfterHours: Double
    public var personNameCaseInsensitive: Bool
    let logger: Logger

    public init(store: any WorklistStore, expireAfterHours: Double = 24, personNameCaseInsensitive: Bool = true,
                logger: Logger = Logger(label: "dicomnode.worklist")) {
        self.store = store
        self.expireAfterHours = expireAfterHours
        self.personNameCaseInsensitive = personNameCaseInsensitive
        self.logger = logger
    }

    public var abstractSyntaxes: Set<String> { [Self.sopClass] }
    public var commandFields: Set<CommandField> { [.cFindRQ] }

    public func perform(_ request: DimseRequest, operation: DimseOperation) async -> DimseReply {
        guard let identifier = request.dataSet else {
            return DimseReply(status: .cannotUnderstand, comment: "C-FIND-RQ without an identifier")
        }
        // PS3.4 §K.6.1.2.2: the query holds at most one Scheduled Procedure Step Sequence item.
        if let items = identifier[.scheduledProcedureStepSequence]?.items, items.count > 1 {
            return DimseReply(status: .dataSetDoesNotMatchSOPClass,
                              comment: "Scheduled Procedure Step Sequence (0040,0100) with \(items.count) items")
        }
        if let e = identifier[.scheduledProcedureStepSequence], e.vr != .SQ, e.vr != .UN {
            return DimseReply(status: .dataSetDoesNotMatchSOPClass, comment: "(0040,0100) is not a sequence")
        }
        let matcher: WorklistMatcher
        do {
            matcher = try WorklistMatcher(query: identifier, personNameCaseInsensitive: personNameCaseInsensitive)
        } catch {
            return DimseReply(status: .cannotUnderstand, comment: error.description)
        }
        let entries: [WorklistEntry]
        do {
            if expireAfterHours > 0 { try await store.removeExpired(olderThanHours: expireAfterHours, now: Date()) }
            entries = try await store.entries(matcher.prefilter)
        } catch {
            logger.error("worklist store error: \(error)")
            return DimseReply(status: .outOfResources, comment: "the worklist could not be read")
        }
        let builder = WorklistResponseBuilder(query: identifier)
        for entry in entries where matcher.matches(entry.item) {
            if operation.isCancelled { break }
            do {
                try await operation.send(DimseReply(status: .pending, dataSet: builder.response(for: entry.item)))
            } catch {
                break                                    // the association went away
            }
        }
        if operation.isCancelled { return DimseReply(status: .cancel) }  // PS3.4 §K.4.1.3.1 via C.4.1.3.1
        return DimseReply(status: .success)
    }
}

/// PS3.4 §K.4.1.1.3.2 / §C.4.1.1.3.2: a response identifier holds every key of the query —
/// sequence items too — with the entry's value, zero-length when it has none; in the query's
/// character set when that can hold the values, in UTF-8 (ISO_IR 192) when not.
public struct WorklistResponseBuilder: Sendable {
    public var query: DataSet

    public init(query: DataSet) { self.query = query }

    public func response(for item: DataSet) -> DataSet {
        responseIdentifier(in: query.characterSet,
                           build: { try build(query, from: item, cs: $0, top: true) },
                           empty: { try build(query, from: DataSet(), cs: .default, top: true) })
    }

    func build(_ keys: DataSet, from item: DataSet, cs: SpecificCharacterSet, top: Bool) throws -> DataSet {
        var out = DataSet()
        out.characterSet = cs
        if top, !cs.terms.isEmpty { try out.set(.specificCharacterSet, strings: cs.terms) }
        for key in keys.elements {
            let tag = key.tag
            if tag == .specificCharacterSet { continue }
            if key.vr == .SQ {
                let queryItem = key.items?.first?.dataSet
                var items: [DataSet] = []
                for var stored in item.sequence(tag) ?? [] {
                    if stored[.specificCharacterSet] == nil { stored.characterSet = item.characterSet }
                    if let queryItem, !queryItem.isEmpty {
                        items.append(try build(queryItem, from: stored, cs: cs, top: false))
                    } else {
                        items.append(try copy(stored, cs: cs))      // §C.2.2.2.6: an empty item asks for all
                    }
                }
                out.set(tag, sequence: items)
                continue
            }
            if let element = item[tag] {
                out[tag] = try transcode(element, in: item, cs: cs)
            } else {
                out[tag] = DataElement(tag: tag, vr: key.vr, value: .bytes([]))
            }
        }
        return out
    }

    /// The whole data set re-encoded in `cs`.
    func copy(_ ds: DataSet, cs: SpecificCharacterSet) throws -> DataSet {
        var out = DataSet()
        out.characterSet = cs
        for e in ds.elements where e.tag != .specificCharacterSet {
            if e.vr == .SQ {
                var items: [DataSet] = []
                for var it in ds.sequence(e.tag) ?? [] {
                    if it[.specificCharacterSet] == nil { it.characterSet = ds.characterSet }
                    items.append(try copy(it, cs: cs))
                }
                out.set(e.tag, sequence: items)
            } else {
                out[e.tag] = try transcode(e, in: ds, cs: cs)
            }
        }
        return out
    }

    /// A string element's text in `cs`; other elements as they are.
    func transcode(_ e: DataElement, in ds: DataSet, cs: SpecificCharacterSet) throws -> DataElement {
        guard e.vr.isString, e.vr.usesSpecificCharacterSet else { return e }
        var tmp = DataSet()
        tmp.characterSet = cs
        let values = ds.strings(e.tag)
        if values.isEmpty { return DataElement(tag: e.tag, vr: e.vr, value: .bytes([])) }
        try tmp.set(e.tag, string: values.joined(separator: "\\"), vr: e.vr)
        return tmp[e.tag] ?? DataElement(tag: e.tag, vr: e.vr, value: .bytes([]))
    }
}
