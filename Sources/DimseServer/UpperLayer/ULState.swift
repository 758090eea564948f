// PS3.8 §9.2.1: the thirteen states of the DICOM Upper Layer protocol machine.

/// A state of the DICOM Upper Layer state machine, numbered as in PS3.8 §9.2.1 Tables 9-1 to 9-5.
public enum ULState: Int, CaseIterable, Sendable, Hashable, CustomStringConvertible {
    // PS3.8 Table 9-1: No association
    /// Sta1: Idle.
    case sta1 = 1
    // PS3.8 Table 9-2: Association establishment
    /// Sta2: Transport connection open (awaiting A-ASSOCIATE-RQ PDU).
    case sta2
    /// Sta3: Awaiting local A-ASSOCIATE response primitive (from local user).
    case sta3
    /// Sta4: Awaiting transport connection opening to complete (from local transport service).
    case sta4
    /// Sta5: Awaiting A-ASSOCIATE-AC or A-ASSOCIATE-RJ PDU.
    case sta5
    // PS3.8 Table 9-3: Data transfer
    /// Sta6: Association established and ready for data transfer.
    case sta6
    // PS3.8 Table 9-4: Association release
    /// Sta7: Awaiting A-RELEASE-RP PDU.
    case sta7
    /// Sta8: Awaiting local A-RELEASE response primitive (from local user).
    case sta8
    /// Sta9: Release collision requestor side; awaiting A-RELEASE response (from local user).
    case sta9
    /// Sta10: Release collision acceptor side; awaiting A-RELEASE-RP PDU.
    case sta10
    /// Sta11: Release collision requestor side; awaiting A-RELEASE-RP PDU.
    case sta11
    /// Sta12: Release collision acceptor side; awaiting A-RELEASE response primitive (from local user).
    case sta12
    // PS3.8 Table 9-5: Waiting for transport connection close
    /// Sta13: Awaiting transport connection close indication (association no longer exists).
    case sta13

    /// "Sta6" and so on, as the standard writes it.
    public var description: String { "Sta\(rawValue)" }
}
