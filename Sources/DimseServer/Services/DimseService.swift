// PS3.7 §9.1 and §10.1: the DIMSE services other than C-STORE (which streams, see
// StorageProvider): a request with an optional identifier or attribute list, answered by zero or
// more pending responses and one final response; C-CANCEL-RQ may arrive while it runs
// (PS3.7 §9.3.2.3), and C-GET sends C-STORE sub-operations back on the same association.
import DicomCore
import NIOCore
import Synchronization

/// A request as a service provider sees it: its command, its data set (decoded in the
/// presentation context's transfer syntax and character set), and where it arrived.
public struct DimseRequest: Sendable {
    public var command: CommandSet
    public var dataSet: DataSet?
    public var context: AcceptedContext
    public init(command: CommandSet, dataSet: DataSet?, context: AcceptedContext) {
        self.command = command
        self.dataSet = dataSet
        self.context = context
    }
}

/// One response: the command's status and service-specific fields, and a data set when it has one.
/// Message ID Being Responded To, the Command Field, the Affected SOP Class and the Command Data
/// Set Type are filled in from the request when sent.
public struct DimseReply: Sendable {
    public var command: CommandSet
    public var dataSet: DataSet?
    public init(status: DimseStatus, comment: String? = nil, dataSet: DataSet? = nil) {
        command = CommandSet()
        command.status = status
        if let comment, status.category == .failure || status.category == .warning { command.errorComment = comment }
        self.dataSet = dataSet
    }
    public var status: DimseStatus { command.status ?? .success }
    /// The provider sent its final response itself through `DimseOperation.send` (Storage
    /// Commitment: the N-EVENT-REPORT must follow the N-ACTION response); nothing more is sent.
    public var sentByProvider = false
    public static var alreadySent: DimseReply {
        var r = DimseReply(status: .success)
        r.sentByProvider = true
        return r
    }
}

/// A provider of one or more DIMSE services, found by the request's abstract syntax and command.
public protocol DimseServiceProvider: Sendable {
    /// The SOP classes / meta SOP classes whose presentation contexts we accept for it.
    var abstractSyntaxes: Set<String> { get }
    /// The requests it answers; others on its contexts get 0211 (unrecognized operation).
    var commandFields: Set<CommandField> { get }
    /// Runs the request to its end: pending responses through `operation.send`, the final
    /// response returned. Never throws: failures are statuses (PS3.7 Annex C).
    func perform(_ request: DimseRequest, operation: DimseOperation) async -> DimseReply
    /// PS3.7 §D.3.3.5: the service-class-application-information we answer for `sopClass`
    /// when the requestor proposed `proposed`; nil leaves the item out of the A-ASSOCIATE-AC.
    func extendedNegotiation(for sopClass: String, proposed: [UInt8]) -> [UInt8]?
}

extension DimseServiceProvider {
    public func extendedNegotiation(for sopClass: String, proposed: [UInt8]) -> [UInt8]? { nil }
}

/// What a running operation can do on its association: send pending responses, send requests of
/// its own and wait for their responses (C-GET's C-STORE sub-operations), and see a C-CANCEL.
public final class DimseOperation: Sendable {
    public let association: AssociationInfo
    public let request: DimseRequest
    private let link: any OperationLink
    private let cancelled = Mutex(false)

    init(association: AssociationInfo, request: DimseRequest, link: any OperationLink) {
        self.association = association
        self.request = request
        self.link = link
    }

    /// True once the peer sent C-CANCEL-RQ for this operation (PS3.7 §9.3.2.3).
    public var isCancelled: Bool { cancelled.withLock { $0 } }
    func cancel() { cancelled.withLock { $0 = true } }

    /// Sends a pending (or any non-final) response on the request's presentation context; returns
    /// when it has been written to the socket, so a slow peer slows the operation down.
    public func send(_ reply: DimseReply) async throws {
        try await send([reply])
    }

    /// Sends several responses in one go (one hop to the event loop, one flush): a page of
    /// C-FIND matches costs one system call, not one per match.
    public func send(_ replies: [DimseReply]) async throws {
        var messages: [(CommandSet, [UInt8]?)] = []
        messages.reserveCapacity(replies.count)
        let transferSyntax = TransferSyntax(uid: request.context.transferSyntax)   // once per batch, not per reply
        for reply in replies {
            let command = DimseOperation.completeResponse(reply.command, to: request.command, hasDataSet: reply.dataSet != nil)
            let bytes = try reply.dataSet.map { try DimseDataSetCoding.encode($0, transferSyntax: transferSyntax) }
            messages.append((command, bytes))
        }
        try await link.send(messages, contextID: request.context.id)
    }

    /// Sends one response per data set, each with `reply`'s command, the data sets already
    /// encoded in the presentation context's transfer syntax (a page of C-FIND pending responses
    /// written without a `DataSet`), in one go.
    public func send(_ reply: DimseReply, encodedDataSets: [[UInt8]]) async throws {
        let command = DimseOperation.completeResponse(reply.command, to: request.command, hasDataSet: true)
        try await link.send(encodedDataSets.map { (command, $0) }, contextID: request.context.id)
    }

    /// Sends a request (a C-STORE sub-operation) with its encoded data set and waits for the
    /// response at most `timeout`. A Message ID is assigned when the command has none.
    public func sendRequest(_ command: CommandSet, dataSet: [UInt8]?, contextID: UInt8,
                            timeout: TimeAmount = .seconds(120)) async throws -> CommandSet {
        var c = command
        if c.messageID == nil { c.messageID = link.nextMessageID() }
        c.commandDataSetType = dataSet == nil ? CommandSet.noDataSet : CommandSet.dataSetPresent
        return try await link.request(command: c, dataSet: dataSet, contextID: contextID, timeout: timeout)
    }

    /// The response command for `request`: PS3.7 §9.3 — Command Field with the response bit,
    /// Message ID Being Responded To, Affected SOP Class UID, Command Data Set Type.
    static func completeResponse(_ base: CommandSet, to request: CommandSet, hasDataSet: Bool) -> CommandSet {
        var r = base
        if r.commandField == nil { r.commandField = CommandField(rawValue: 0x8000 | (request.commandField?.rawValue ?? 0)) }
        r.messageIDBeingRespondedTo = request.messageID ?? 0
        if r.affectedSOPClassUID == nil { r.affectedSOPClassUID = request.affectedSOPClassUID ?? request.requestedSOPClassUID }
        r.commandDataSetType = hasDataSet ? CommandSet.dataSetPresent : CommandSet.noDataSet
        if r.status == nil { r.status = .success }
        return r
    }
}

/// The association's side of a running operation (implemented by the AssociationHandler).
protocol OperationLink: Sendable {
    func send(_ messages: [(CommandSet, [UInt8]?)], contextID: UInt8) async throws
    func request(command: CommandSet, dataSet: [UInt8]?, contextID: UInt8, timeout: TimeAmount) async throws -> CommandSet
    func nextMessageID() -> UInt16
}

/// Identifiers and attribute lists on the wire: the data set of a DIMSE message encoded in the
/// presentation context's transfer syntax (PS3.5 §10), deflated when that syntax is (§A.5).
public enum DimseDataSetCoding {
    /// Identifiers larger than this are refused: they are a few kilobytes in practice.
    public static let maximumIdentifierLength = 4 << 20

    public static func encode(_ dataSet: DataSet, transferSyntax uid: String) throws -> [UInt8] {
        try encode(dataSet, transferSyntax: TransferSyntax(uid: uid))
    }

    public static func encode(_ dataSet: DataSet, transferSyntax ts: TransferSyntax) throws -> [UInt8] {
        let bytes = try DataSetWriter(encoding: DataSetEncoding(ts), options: .normalized).encode(dataSet)
        return ts.isDeflated ? Deflate.deflateEvenLength(bytes) : bytes
    }

    public static func decode(_ bytes: [UInt8], transferSyntax uid: String) throws -> DataSet {
        let ts = TransferSyntax(uid: uid)
        let plain = ts.isDeflated ? try Deflate.inflate(bytes, limit: maximumIdentifierLength * 4) : bytes
        return try DataSetReader(source: MemoryByteSource(plain)).read(encoding: DataSetEncoding(ts))
    }
}

/// PS3.4 §C.4.1.1.3.2 / §K.4.1.1.3.2: a C-FIND response identifier is written in the query's
/// character set when that can hold the values, else in UTF-8 (ISO_IR 192); when even that
/// fails, `empty` (the keys without values) is answered.
func responseIdentifier(in characterSet: SpecificCharacterSet, build: (SpecificCharacterSet) throws -> DataSet,
                        empty: () throws -> DataSet) -> DataSet {
    if let ds = try? build(characterSet) { return ds }
    if let ds = try? build(SpecificCharacterSet(terms: ["ISO_IR 192"])) { return ds }
    return (try? empty()) ?? DataSet()
}
