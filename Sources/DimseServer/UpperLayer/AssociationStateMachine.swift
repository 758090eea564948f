// PS3.8 §9.2: the DICOM Upper Layer protocol machine as a value. It performs no I/O: the
// AssociationHandler feeds it events and carries out the effects it returns, in order.

/// Which side of the association this machine is (PS3.8 §7.1); decides AR-8 in a release collision.
public enum ULRole: Sendable, Hashable {
    /// The association-requestor: we sent the A-ASSOCIATE-RQ (AE-1).
    case requestor
    /// The association-acceptor: the peer connected to us (AE-5).
    case acceptor
}

/// The DICOM Upper Layer state machine of PS3.8 §9.2, one per transport connection.
///
/// ```swift
/// var machine = AssociationStateMachine()
/// _ = machine.handle(.evt5)                    // [.acceptTransport, .startARTIM], now Sta2
/// let effects = machine.handle(.evt6(acceptable: true))  // [.stopARTIM, .indicate(.associate)], now Sta3
/// ```
public struct AssociationStateMachine: Sendable, Hashable {
    /// The current state (PS3.8 §9.2.1).
    public private(set) var state: ULState
    /// Our side of the association: set by AE-1 (requestor) and AE-5 (acceptor).
    public private(set) var role: ULRole

    /// A machine in Sta1 (Idle), the state every transport connection starts from.
    public init() {
        self.state = .sta1
        self.role = .acceptor
    }

    /// A machine already in `state`, for tests and for a handler that resumes a known state.
    /// - Parameters:
    ///   - state: the state to start in.
    ///   - role: which side of the association we are; decides AR-8 (release collision).
    public init(state: ULState, role: ULRole) {
        self.state = state
        self.role = role
    }

    /// Runs the action PS3.8 Table 9-10 gives for `event` in the current state, moves to the
    /// action's next state and returns what the handler must do, in order.
    ///
    /// An event whose cell Table 9-10 leaves empty changes nothing and returns `[.ignored]`.
    /// - Parameter event: what happened (PS3.8 Table 9-10 rows).
    /// - Returns: the effects of the action, in the order the standard lists them.
    public mutating func handle(_ event: ULEvent) -> [ULEffect] {
        step(event).effects
    }

    /// Like ``handle(_:)``, but also says which cell fired, for the handler's trace log and
    /// per-transition counters ("Sta2 + Evt6 → AE-6 → Sta3").
    /// - Parameter event: what happened (PS3.8 Table 9-10 rows).
    /// - Returns: the transition taken; `action` is nil when the cell is empty.
    public mutating func step(_ event: ULEvent) -> Transition {
        let from = state
        guard let action = StateTable.action(in: state, on: event.number) else {
            return Transition(from: from, event: event, action: nil, to: from,
                              effects: [.ignored(event.number, in: from)])
        }
        let (effects, next) = perform(action, for: event)
        switch action {
        case .ae1: role = .requestor  // we open the connection and send the A-ASSOCIATE-RQ
        case .ae5: role = .acceptor   // the peer opened the connection
        default: break
        }
        state = next
        return Transition(from: from, event: event, action: action, to: next, effects: effects)
    }

    /// One step of the machine: a cell of PS3.8 Table 9-10 and what its action did.
    public struct Transition: Sendable, Hashable, CustomStringConvertible {
        /// The state the event arrived in.
        public var from: ULState
        /// The event.
        public var event: ULEvent
        /// The action of the cell, or nil when Table 9-10 leaves the cell empty.
        public var action: ULAction?
        /// The state after the action.
        public var to: ULState
        /// What the handler must do, in order.
        public var effects: [ULEffect]

        /// "Sta2 + Evt6 → AE-6 → Sta3", or "Sta2 + Evt9 → (no action)".
        public var description: String {
            guard let action else { return "\(from) + \(event) → (no action)" }
            return "\(from) + \(event) → \(action) → \(to)"
        }
    }

    /// The effects and next state of `action` (PS3.8 §9.2.2 Tables 9-6 to 9-9), given the event
    /// that triggered it and our role; does not change the machine.
    public func perform(_ action: ULAction, for event: ULEvent) -> (effects: [ULEffect], next: ULState) {
        switch action {
        // PS3.8 Table 9-6: Association establishment related actions
        case .ae1:
            return ([.connectTransport], .sta4)
        case .ae2:
            return ([.send(.associateRQ)], .sta5)
        case .ae3:
            return ([.indicate(.associateAccepted)], .sta6)
        case .ae4:
            return ([.indicate(.associateRejected), .closeTransport], .sta1)
        case .ae5:
            return ([.acceptTransport, .startARTIM], .sta2)
        case .ae6:
            if case .evt6(acceptable: false) = event {
                return ([.stopARTIM, .send(.associateRJ), .startARTIM], .sta13)
            }
            return ([.stopARTIM, .indicate(.associate)], .sta3)
        case .ae7:
            return ([.send(.associateAC)], .sta6)
        case .ae8:
            return ([.send(.associateRJ), .startARTIM], .sta13)

        // PS3.8 Table 9-7: Data transfer related actions
        case .dt1:
            return ([.send(.pDataTF)], .sta6)
        case .dt2:
            return ([.indicate(.pData)], .sta6)

        // PS3.8 Table 9-8: Association release related actions
        case .ar1:
            return ([.send(.releaseRQ)], .sta7)
        case .ar2:
            return ([.indicate(.release)], .sta8)
        case .ar3:
            return ([.indicate(.releaseConfirmed), .closeTransport], .sta1)
        case .ar4:
            return ([.send(.releaseRP), .startARTIM], .sta13)
        case .ar5:
            return ([.stopARTIM], .sta1)
        case .ar6:
            return ([.indicate(.pData)], .sta7)
        case .ar7:
            return ([.send(.pDataTF)], .sta8)
        case .ar8:
            return ([.indicate(.release)], role == .requestor ? .sta9 : .sta10)
        case .ar9:
            return ([.send(.releaseRP)], .sta11)
        case .ar10:
            return ([.indicate(.releaseConfirmed)], .sta12)

        // PS3.8 Table 9-9: Association abort related actions
        case .aa1:
            // Service-user source: the Reason/Diag. field "shall be sent with a value 00H"
            // (PS3.8 Table 9-26).
            return ([.send(.abort(source: .serviceUser, reason: .reasonNotSpecified)), .startARTIM], .sta13)
        case .aa2:
            return ([.stopARTIM, .closeTransport], .sta1)
        case .aa3:
            if case .evt16(source: .serviceProvider, reason: let reason) = event {
                return ([.indicate(.providerAbort(reason)), .closeTransport], .sta1)
            }
            return ([.indicate(.abort), .closeTransport], .sta1)
        case .aa4:
            return ([.indicate(.providerAbort(.reasonNotSpecified))], .sta1)
        case .aa5:
            return ([.stopARTIM], .sta1)
        case .aa6:
            return ([], .sta13)
        case .aa7:
            return ([.send(.abort(source: .serviceProvider, reason: providerReason(for: event)))], .sta13)
        case .aa8:
            let reason = providerReason(for: event)
            return ([.send(.abort(source: .serviceProvider, reason: reason)),
                     .indicate(.providerAbort(reason)), .startARTIM], .sta13)
        }
    }

    /// The PS3.8 Table 9-26 reason for a provider-initiated A-ABORT: the reason the PDU reader
    /// gave for Evt19, otherwise "unexpected-PDU" (a well-formed PDU arrived in the wrong state).
    private func providerReason(for event: ULEvent) -> Abort.Reason {
        if case .evt19(reason: let reason) = event { return reason }
        return .unexpectedPDU
    }
}
