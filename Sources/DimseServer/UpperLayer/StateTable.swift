// PS3.8 §9.2.3 Table 9-10: DICOM Upper Layer state transition table.
//
// One line per cell the standard fills in, row by row (Evt1 … Evt19), column by column
// (Sta1 … Sta13). Cells Table 9-10 leaves empty have no line and yield nil: they are either
// impossible (no PDU can arrive in Sta1 or Sta4, where there is no open connection, and the ARTIM
// timer only runs in Sta2 and Sta13) or a local primitive the service-user may not issue in that
// state (e.g. P-DATA request in Sta2).

/// PS3.8 Table 9-10: which action an event triggers in a state.
public enum StateTable {
    /// The action PS3.8 Table 9-10 gives for `event` in `state`, or nil when the cell is empty.
    public static func action(in state: ULState, on event: ULEvent.Number) -> ULAction? {
        switch (state, event) {
        // Evt1: A-ASSOCIATE request (local user)
        case (.sta1, .evt1): .ae1

        // Evt2: Transport connection confirm (local transport service)
        case (.sta4, .evt2): .ae2

        // Evt3: A-ASSOCIATE-AC PDU (received on transport connection)
        case (.sta2, .evt3): .aa1
        case (.sta3, .evt3): .aa8
        case (.sta5, .evt3): .ae3
        case (.sta6, .evt3): .aa8
        case (.sta7, .evt3): .aa8
        case (.sta8, .evt3): .aa8
        case (.sta9, .evt3): .aa8
        case (.sta10, .evt3): .aa8
        case (.sta11, .evt3): .aa8
        case (.sta12, .evt3): .aa8
        case (.sta13, .evt3): .aa6

        // Evt4: A-ASSOCIATE-RJ PDU (received on transport connection)
        case (.sta2, .evt4): .aa1
        case (.sta3, .evt4): .aa8
        case (.sta5, .evt4): .ae4
        case (.sta6, .evt4): .aa8
        case (.sta7, .evt4): .aa8
        case (.sta8, .evt4): .aa8
        case (.sta9, .evt4): .aa8
        case (.sta10, .evt4): .aa8
        case (.sta11, .evt4): .aa8
        case (.sta12, .evt4): .aa8
        case (.sta13, .evt4): .aa6

        // Evt5: Transport connection indication (local transport service)
        case (.sta1, .evt5): .ae5

        // Evt6: A-ASSOCIATE-RQ PDU (received on transport connection)
        case (.sta2, .evt6): .ae6
        case (.sta3, .evt6): .aa8
        case (.sta5, .evt6): .aa8
        case (.sta6, .evt6): .aa8
        case (.sta7, .evt6): .aa8
        case (.sta8, .evt6): .aa8
        case (.sta9, .evt6): .aa8
        case (.sta10, .evt6): .aa8
        case (.sta11, .evt6): .aa8
        case (.sta12, .evt6): .aa8
        case (.sta13, .evt6): .aa7

        // Evt7: A-ASSOCIATE response primitive (accept)
        case (.sta3, .evt7): .ae7

        // Evt8: A-ASSOCIATE response primitive (reject)
        case (.sta3, .evt8): .ae8

        // Evt9: P-DATA request primitive
        case (.sta6, .evt9): .dt1
        case (.sta8, .evt9): .ar7

        // Evt10: P-DATA-TF PDU
        case (.sta2, .evt10): .aa1
        case (.sta3, .evt10): .aa8
        case (.sta5, .evt10): .aa8
        case (.sta6, .evt10): .dt2
        case (.sta7, .evt10): .ar6
        case (.sta8, .evt10): .aa8
        case (.sta9, .evt10): .aa8
        case (.sta10, .evt10): .aa8
        case (.sta11, .evt10): .aa8
        case (.sta12, .evt10): .aa8
        case (.sta13, .evt10): .aa6

        // Evt11: A-RELEASE request primitive
        case (.sta6, .evt11): .ar1

        // Evt12: A-RELEASE-RQ PDU (received on open transport connection)
        case (.sta2, .evt12): .aa1
        case (.sta3, .evt12): .aa8
        case (.sta5, .evt12): .aa8
        case (.sta6, .evt12): .ar2
        case (.sta7, .evt12): .ar8
        case (.sta8, .evt12): .aa8
        case (.sta9, .evt12): .aa8
        case (.sta10, .evt12): .aa8
        case (.sta11, .evt12): .aa8
        case (.sta12, .evt12): .aa8
        case (.sta13, .evt12): .aa6

        // Evt13: A-RELEASE-RP PDU (received on transport connection)
        case (.sta2, .evt13): .aa1
        case (.sta3, .evt13): .aa8
        case (.sta5, .evt13): .aa8
        case (.sta6, .evt13): .aa8
        case (.sta7, .evt13): .ar3
        case (.sta8, .evt13): .aa8
        case (.sta9, .evt13): .aa8
        case (.sta10, .evt13): .ar10
        case (.sta11, .evt13): .ar3
        case (.sta12, .evt13): .aa8
        case (.sta13, .evt13): .aa6

        // Evt14: A-RELEASE response primitive
        case (.sta8, .evt14): .ar4
        case (.sta9, .evt14): .ar9
        case (.sta12, .evt14): .ar4

        // Evt15: A-ABORT request primitive
        case (.sta3, .evt15): .aa1
        case (.sta4, .evt15): .aa2
        case (.sta5, .evt15): .aa1
        case (.sta6, .evt15): .aa1
        case (.sta7, .evt15): .aa1
        case (.sta8, .evt15): .aa1
        case (.sta9, .evt15): .aa1
        case (.sta10, .evt15): .aa1
        case (.sta11, .evt15): .aa1
        case (.sta12, .evt15): .aa1

        // Evt16: A-ABORT PDU (received on open transport connection)
        case (.sta2, .evt16): .aa2
        case (.sta3, .evt16): .aa3
        case (.sta5, .evt16): .aa3
        case (.sta6, .evt16): .aa3
        case (.sta7, .evt16): .aa3
        case (.sta8, .evt16): .aa3
        case (.sta9, .evt16): .aa3
        case (.sta10, .evt16): .aa3
        case (.sta11, .evt16): .aa3
        case (.sta12, .evt16): .aa3
        case (.sta13, .evt16): .aa2

        // Evt17: Transport connection closed indication (local transport service)
        case (.sta2, .evt17): .aa5
        case (.sta3, .evt17): .aa4
        case (.sta4, .evt17): .aa4
        case (.sta5, .evt17): .aa4
        case (.sta6, .evt17): .aa4
        case (.sta7, .evt17): .aa4
        case (.sta8, .evt17): .aa4
        case (.sta9, .evt17): .aa4
        case (.sta10, .evt17): .aa4
        case (.sta11, .evt17): .aa4
        case (.sta12, .evt17): .aa4
        case (.sta13, .evt17): .ar5

        // Evt18: ARTIM timer expired (association reject/release timer)
        case (.sta2, .evt18): .aa2
        case (.sta13, .evt18): .aa2

        // Evt19: Unrecognized or invalid PDU received
        case (.sta2, .evt19): .aa1
        case (.sta3, .evt19): .aa8
        case (.sta5, .evt19): .aa8
        case (.sta6, .evt19): .aa8
        case (.sta7, .evt19): .aa8
        case (.sta8, .evt19): .aa8
        case (.sta9, .evt19): .aa8
        case (.sta10, .evt19): .aa8
        case (.sta11, .evt19): .aa8
        case (.sta12, .evt19): .aa8
        case (.sta13, .evt19): .aa7

        default: nil
        }
    }
}
