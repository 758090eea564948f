// PS3.4 Annex B: the Storage Service Class, SCP side. Statuses a C-STORE-RSP may carry
// (PS3.4 Table B.2-1): 0000 success; B000, B006, B007 warnings; A7xx out of resources;
// A9xx data set does not match SOP class; Cxxx cannot understand; and the general ones of
// PS3.7 Annex C (0111 duplicate SOP instance, 0110 processing failure, 0211 unrecognized operation).
import DicomCore

/// Where an incoming C-STORE data set is written as its PDVs arrive (no whole-instance buffer).
public protocol StagedDataSet: AnyObject, Sendable {
    /// Appends the next bytes of the data set, as received.
    func write(_ bytes: UnsafeRawBufferPointer) throws
    /// Drops what was written: the association failed or the peer aborted.
    func discard()
}

/// The result of a C-STORE, as the response will carry it.
public struct StoreOutcome: Sendable {
    public var status: DimseStatus
    public var errorComment: String?
    public init(status: DimseStatus, errorComment: String? = nil) {
        self.status = status
        self.errorComment = errorComment
    }
}

/// What a C-STORE-RQ said about the instance (PS3.7 §9.1.1.1).
public struct StoreRequest: Sendable {
    public var sopClassUID: String
    public var sopInstanceUID: String
    public var transferSyntaxUID: String
    public var priority: UInt16
    public var moveOriginatorAETitle: String?
    public var moveOriginatorMessageID: UInt16?
}

/// The storage SCP behind the C-STORE service.
public protocol StorageProvider: Sendable {
    /// Called when the C-STORE-RQ command has arrived, before its data set: where to put it.
    /// - Throws: a `DimseStatusConvertible` error (e.g. out of space → A700) to refuse at once.
    func beginStore(_ rq: StoreRequest, on association: AssociationInfo) throws -> any StagedDataSet
    /// Called after the last data PDV. Returns only when the instance is on disk and indexed.
    func finishStore(_ rq: StoreRequest, dataSet: any StagedDataSet, on association: AssociationInfo) async -> StoreOutcome
}
