// PS3.8 §9.2.2: what the state machine's actions ask the outside world to do.
// The AssociationHandler carries these out in order; the machine itself performs no I/O.

/// One thing an action of PS3.8 Tables 9-6 to 9-9 asks the handler to do, in the order given.
public enum ULEffect: Sendable, Hashable {
    /// Issue a TRANSPORT CONNECT request primitive: open the TCP connection (AE-1).
    case connectTransport
    /// Issue a transport connection response primitive: take the incoming TCP connection (AE-5).
    case acceptTransport
    /// Write a PDU of this kind on the transport connection.
    case send(ULPDUKind)
    /// Start the ARTIM timer, or restart it if it is running (PS3.8 §9.1.5).
    case startARTIM
    /// Stop the ARTIM timer if it is running.
    case stopARTIM
    /// Close the transport connection.
    case closeTransport
    /// Issue a primitive to the local Upper Layer service-user.
    case indicate(ULIndication)
    /// PS3.8 Table 9-10 has no cell for this event in this state: nothing was done and the state
    /// is unchanged. For a local primitive (e.g. P-DATA request in Sta2) that is a bug in the
    /// caller; for an ARTIM expiry after the timer was stopped, or a transport close in Sta1, it is
    /// a harmless race. Log it.
    case ignored(ULEvent.Number, in: ULState)
}

/// A primitive the Upper Layer issues to its local service-user (PS3.8 §7).
public enum ULIndication: Sendable, Hashable {
    /// A-ASSOCIATE indication: an acceptable A-ASSOCIATE-RQ arrived; answer with Evt7 or Evt8.
    case associate
    /// A-ASSOCIATE confirmation (accept): the peer sent A-ASSOCIATE-AC.
    case associateAccepted
    /// A-ASSOCIATE confirmation (reject): the peer sent A-ASSOCIATE-RJ.
    case associateRejected
    /// P-DATA indication: a P-DATA-TF PDU arrived.
    case pData
    /// A-RELEASE indication: the peer asks to release; answer with Evt14.
    case release
    /// A-RELEASE confirmation: the peer answered our A-RELEASE-RQ.
    case releaseConfirmed
    /// A-ABORT indication: the peer's service-user aborted (PS3.8 §7.3).
    case abort
    /// A-P-ABORT indication: the association was aborted by a service-provider (PS3.8 §7.4).
    case providerAbort(Abort.Reason)
}
