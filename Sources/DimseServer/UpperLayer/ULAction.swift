// PS3.8 §9.2.2 Tables 9-6 to 9-9: the actions of the DICOM Upper Layer protocol machine.
// Each action's effects and next state are in AssociationStateMachine.perform(_:for:).

/// An action of the DICOM Upper Layer state machine, named with its number in PS3.8 §9.2.2.
public enum ULAction: String, CaseIterable, Sendable, Hashable, CustomStringConvertible {
    // PS3.8 Table 9-6: Association establishment related actions
    /// AE-1: Issue TRANSPORT CONNECT request primitive to local transport service. Next state Sta4.
    case ae1 = "AE-1"
    /// AE-2: Send A-ASSOCIATE-RQ PDU. Next state Sta5.
    case ae2 = "AE-2"
    /// AE-3: Issue A-ASSOCIATE confirmation (accept) primitive. Next state Sta6.
    case ae3 = "AE-3"
    /// AE-4: Issue A-ASSOCIATE confirmation (reject) primitive and close transport connection.
    /// Next state Sta1.
    case ae4 = "AE-4"
    /// AE-5: Issue transport connection response primitive; start ARTIM timer. Next state Sta2.
    case ae5 = "AE-5"
    /// AE-6: Stop ARTIM timer and if A-ASSOCIATE-RQ acceptable by service-provider: issue
    /// A-ASSOCIATE indication primitive, next state Sta3; otherwise: issue A-ASSOCIATE-RJ PDU and
    /// start ARTIM timer, next state Sta13.
    case ae6 = "AE-6"
    /// AE-7: Send A-ASSOCIATE-AC PDU. Next state Sta6.
    case ae7 = "AE-7"
    /// AE-8: Send A-ASSOCIATE-RJ PDU and start ARTIM timer. Next state Sta13.
    case ae8 = "AE-8"

    // PS3.8 Table 9-7: Data transfer related actions
    /// DT-1: Send P-DATA-TF PDU. Next state Sta6.
    case dt1 = "DT-1"
    /// DT-2: Send P-DATA indication primitive. Next state Sta6.
    case dt2 = "DT-2"

    // PS3.8 Table 9-8: Association release related actions
    /// AR-1: Send A-RELEASE-RQ PDU. Next state Sta7.
    case ar1 = "AR-1"
    /// AR-2: Issue A-RELEASE indication primitive. Next state Sta8.
    case ar2 = "AR-2"
    /// AR-3: Issue A-RELEASE confirmation primitive, and close transport connection. Next state Sta1.
    case ar3 = "AR-3"
    /// AR-4: Issue A-RELEASE-RP PDU and start ARTIM timer. Next state Sta13.
    case ar4 = "AR-4"
    /// AR-5: Stop ARTIM timer. Next state Sta1.
    case ar5 = "AR-5"
    /// AR-6: Issue P-DATA indication. Next state Sta7.
    case ar6 = "AR-6"
    /// AR-7: Issue P-DATA-TF PDU. Next state Sta8.
    case ar7 = "AR-7"
    /// AR-8: Issue A-RELEASE indication (release collision): if association-requestor, next
    /// state Sta9; if not, next state Sta10.
    case ar8 = "AR-8"
    /// AR-9: Send A-RELEASE-RP PDU. Next state Sta11.
    case ar9 = "AR-9"
    /// AR-10: Issue A-RELEASE confirmation primitive. Next state Sta12.
    case ar10 = "AR-10"

    // PS3.8 Table 9-9: Association abort related actions
    /// AA-1: Send A-ABORT PDU (service-user source) and start (or restart if already started)
    /// ARTIM timer. Next state Sta13.
    case aa1 = "AA-1"
    /// AA-2: Stop ARTIM timer if running. Close transport connection. Next state Sta1.
    case aa2 = "AA-2"
    /// AA-3: If (service-user initiated abort): issue A-ABORT indication and close transport
    /// connection; otherwise (service-provider initiated abort): issue A-P-ABORT indication and
    /// close transport connection. Next state Sta1.
    case aa3 = "AA-3"
    /// AA-4: Issue A-P-ABORT indication primitive. Next state Sta1.
    case aa4 = "AA-4"
    /// AA-5: Stop ARTIM timer. Next state Sta1.
    case aa5 = "AA-5"
    /// AA-6: Ignore PDU. Next state Sta13.
    case aa6 = "AA-6"
    /// AA-7: Send A-ABORT PDU. Next state Sta13.
    case aa7 = "AA-7"
    /// AA-8: Send A-ABORT PDU (service-provider source), issue an A-P-ABORT indication, and start
    /// ARTIM timer. Next state Sta13.
    case aa8 = "AA-8"

    /// "AE-6" and so on, as the standard writes it.
    public var description: String { rawValue }
}
