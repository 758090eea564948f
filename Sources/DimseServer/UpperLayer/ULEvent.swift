// PS3.8 §9.2.3 Table 9-10: the nineteen events of the DICOM Upper Layer protocol machine.

/// An event fed to the ``AssociationStateMachine``, numbered as in PS3.8 Table 9-10.
///
/// Events that carry a decision or a received value hold it as an associated value, so a caller
/// cannot forget it: Evt6 says whether the A-ASSOCIATE-RQ is acceptable (action AE-6), Evt16 says
/// who sent the A-ABORT (action AA-3), Evt19 says why the PDU was refused (actions AA-7, AA-8).
public enum ULEvent: Sendable, Hashable, CustomStringConvertible {
    /// Evt1: A-ASSOCIATE request (local user).
    case evt1
    /// Evt2: Transport connection confirm (local transport service).
    case evt2
    /// Evt3: A-ASSOCIATE-AC PDU received on transport connection.
    case evt3
    /// Evt4: A-ASSOCIATE-RJ PDU received on transport connection.
    case evt4
    /// Evt5: Transport connection indication (local transport service).
    case evt5
    /// Evt6: A-ASSOCIATE-RQ PDU received on transport connection.
    /// - Parameter acceptable: whether the UL service-provider can accept it (PS3.8 Table 9-6, AE-6).
    case evt6(acceptable: Bool)
    /// Evt7: A-ASSOCIATE response primitive (accept).
    case evt7
    /// Evt8: A-ASSOCIATE response primitive (reject).
    case evt8
    /// Evt9: P-DATA request primitive.
    case evt9
    /// Evt10: P-DATA-TF PDU received on transport connection.
    case evt10
    /// Evt11: A-RELEASE request primitive.
    case evt11
    /// Evt12: A-RELEASE-RQ PDU received on transport connection.
    case evt12
    /// Evt13: A-RELEASE-RP PDU received on transport connection.
    case evt13
    /// Evt14: A-RELEASE response primitive.
    case evt14
    /// Evt15: A-ABORT request primitive.
    case evt15
    /// Evt16: A-ABORT PDU received on transport connection.
    /// - Parameters:
    ///   - source: the PDU's Source field (PS3.8 Table 9-26).
    ///   - reason: the PDU's Reason/Diag. field, significant only for a service-provider source.
    case evt16(source: Abort.Source, reason: Abort.Reason)
    /// Evt17: Transport connection closed indication (local transport service).
    case evt17
    /// Evt18: ARTIM timer expired (association reject/release timer).
    case evt18
    /// Evt19: Unrecognized or invalid PDU received.
    /// - Parameter reason: the A-ABORT reason to send back (PS3.8 Table 9-26).
    case evt19(reason: Abort.Reason)

    /// The event's number in PS3.8 Table 9-10, without its associated values.
    public var number: Number {
        switch self {
        case .evt1: .evt1
        case .evt2: .evt2
        case .evt3: .evt3
        case .evt4: .evt4
        case .evt5: .evt5
        case .evt6: .evt6
        case .evt7: .evt7
        case .evt8: .evt8
        case .evt9: .evt9
        case .evt10: .evt10
        case .evt11: .evt11
        case .evt12: .evt12
        case .evt13: .evt13
        case .evt14: .evt14
        case .evt15: .evt15
        case .evt16: .evt16
        case .evt17: .evt17
        case .evt18: .evt18
        case .evt19: .evt19
        }
    }

    /// "Evt6" and so on, as the standard writes it.
    public var description: String { number.description }

    /// An event's number in PS3.8 Table 9-10: the row of the state transition table.
    public enum Number: Int, CaseIterable, Sendable, Hashable, CustomStringConvertible {
        case evt1 = 1, evt2, evt3, evt4, evt5, evt6, evt7, evt8, evt9, evt10
        case evt11, evt12, evt13, evt14, evt15, evt16, evt17, evt18, evt19

        /// "Evt6" and so on, as the standard writes it.
        public var description: String { "Evt\(rawValue)" }
    }
}
