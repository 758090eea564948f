// PS3.8 §9.3: the PDU kinds the state machine asks to send, without their contents.
// The handler binds each kind to a full PDU from the codec (PDU.swift); abort fields are the codec's.

/// Which PDU an action sends (PS3.8 Tables 9-6 to 9-9); the handler fills in its fields.
public enum ULPDUKind: Sendable, Hashable {
    /// A-ASSOCIATE-RQ (PS3.8 §9.3.2).
    case associateRQ
    /// A-ASSOCIATE-AC (PS3.8 §9.3.3).
    case associateAC
    /// A-ASSOCIATE-RJ (PS3.8 §9.3.4); result, source and reason come from the association policy.
    case associateRJ
    /// P-DATA-TF (PS3.8 §9.3.5).
    case pDataTF
    /// A-RELEASE-RQ (PS3.8 §9.3.6).
    case releaseRQ
    /// A-RELEASE-RP (PS3.8 §9.3.7).
    case releaseRP
    /// A-ABORT (PS3.8 §9.3.8) with its Source and Reason/Diag. fields.
    case abort(source: Abort.Source, reason: Abort.Reason)
}
