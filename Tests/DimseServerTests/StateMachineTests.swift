import Testing
@testable import DimseServer

// Evidence for StateTable.swift and AssociationStateMachine.perform: PS3.8 §9.2.3 Table 9-10
// and §9.2.2 Tables 9-6 to 9-9, transcribed here a second time, separately, in the standard's own
// layout (events down, states across; "-" is an empty cell).
private let table9_10 = """
        Sta1  Sta2  Sta3  Sta4  Sta5  Sta6  Sta7  Sta8  Sta9  Sta10 Sta11 Sta12 Sta13
Evt1    AE-1  -     -     -     -     -     -     -     -     -     -     -     -
Evt2    -     -     -     AE-2  -     -     -     -     -     -     -     -     -
Evt3    -     AA-1  AA-8  -     AE-3  AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-6
Evt4    -     AA-1  AA-8  -     AE-4  AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-6
Evt5    AE-5  -     -     -     -     -     -     -     -     -     -     -     -
Evt6    -     AE-6  AA-8  -     AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-7
Evt7    -     -     AE-7  -     -     -     -     -     -     -     -     -     -
Evt8    -     -     AE-8  -     -     -     -     -     -     -     -     -     -
Evt9    -     -     -     -     -     DT-1  -     AR-7  -     -     -     -     -
Evt10   -     AA-1  AA-8  -     AA-8  DT-2  AR-6  AA-8  AA-8  AA-8  AA-8  AA-8  AA-6
Evt11   -     -     -     -     -     AR-1  -     -     -     -     -     -     -
Evt12   -     AA-1  AA-8  -     AA-8  AR-2  AR-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-6
Evt13   -     AA-1  AA-8  -     AA-8  AA-8  AR-3  AA-8  AA-8  AR-10 AR-3  AA-8  AA-6
Evt14   -     -     -     -     -     -     -     AR-4  AR-9  -     -     AR-4  -
Evt15   -     -     AA-1  AA-2  AA-1  AA-1  AA-1  AA-1  AA-1  AA-1  AA-1  AA-1  -
Evt16   -     AA-2  AA-3  -     AA-3  AA-3  AA-3  AA-3  AA-3  AA-3  AA-3  AA-3  AA-2
Evt17   -     AA-5  AA-4  AA-4  AA-4  AA-4  AA-4  AA-4  AA-4  AA-4  AA-4  AA-4  AR-5
Evt18   -     AA-2  -     -     -     -     -     -     -     -     -     -     AA-2
Evt19   -     AA-1  AA-8  -     AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-7
"""

/// The cells of `table9_10`, keyed "Sta6/Evt3".
private let expectedCells: [String: String] = {
    let lines = table9_10.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
    let states = lines[0]
    var cells: [String: String] = [:]
    for row in lines.dropFirst() {
        for (column, cell) in row.dropFirst().enumerated() where cell != "-" {
            cells["\(states[column])/\(row[0])"] = cell
        }
    }
    return cells
}()

/// PS3.8 Tables 9-6 to 9-9: each action's next state (AE-6 accepting, AR-8 as acceptor).
private let expectedNextState: [String: ULState] = [
    "AE-1": .sta4, "AE-2": .sta5, "AE-3": .sta6, "AE-4": .sta1, "AE-5": .sta2, "AE-6": .sta3,
    "AE-7": .sta6, "AE-8": .sta13,
    "DT-1": .sta6, "DT-2": .sta6,
    "AR-1": .sta7, "AR-2": .sta8, "AR-3": .sta1, "AR-4": .sta13, "AR-5": .sta1, "AR-6": .sta7,
    "AR-7": .sta8, "AR-8": .sta10, "AR-9": .sta11, "AR-10": .sta12,
    "AA-1": .sta13, "AA-2": .sta1, "AA-3": .sta1, "AA-4": .sta1, "AA-5": .sta1, "AA-6": .sta13,
    "AA-7": .sta13, "AA-8": .sta13,
]

/// A representative event for each row, with the decision that takes the first branch.
private func sample(_ number: ULEvent.Number) -> ULEvent {
    switch number {
    case .evt1: .evt1
    case .evt2: .evt2
    case .evt3: .evt3
    case .evt4: .evt4
    case .evt5: .evt5
    case .evt6: .evt6(acceptable: true)
    case .evt7: .evt7
    case .evt8: .evt8
    case .evt9: .evt9
    case .evt10: .evt10
    case .evt11: .evt11
    case .evt12: .evt12
    case .evt13: .evt13
    case .evt14: .evt14
    case .evt15: .evt15
    case .evt16: .evt16(source: .serviceUser, reason: .reasonNotSpecified)
    case .evt17: .evt17
    case .evt18: .evt18
    case .evt19: .evt19(reason: .unrecognizedPDU)
    }
}

/// Runs `events` from Sta1 and returns each step's effects and the state after it.
private func run(_ events: [ULEvent], from start: AssociationStateMachine = AssociationStateMachine())
    -> (machine: AssociationStateMachine, steps: [(effects: [ULEffect], state: ULState)]) {
    var machine = start
    var steps: [(effects: [ULEffect], state: ULState)] = []
    for event in events {
        let effects = machine.handle(event)
        steps.append((effects, machine.state))
    }
    return (machine, steps)
}

@Suite("Association state machine (PS3.8 §9.2)")
struct StateMachineTests {
    @Test("every cell of Table 9-10 gives the standard's action and next state", arguments: ULState.allCases, ULEvent.Number.allCases)
    func cell(state: ULState, event: ULEvent.Number) {
        let expected = expectedCells["\(state)/\(event)"]
        #expect(StateTable.action(in: state, on: event)?.description == expected)
        var machine = AssociationStateMachine(state: state, role: .acceptor)
        let effects = machine.handle(sample(event))
        if let expected {
            #expect(machine.state == expectedNextState[expected])
            #expect(!effects.contains(.ignored(event, in: state)))
        } else {
            #expect(machine.state == state)
            #expect(effects == [.ignored(event, in: state)])
        }
    }

    @Test("the transcription covers 13 states and 19 events with the standard's 123 filled cells")
    func transcriptionShape() {
        #expect(ULState.allCases.count == 13)
        #expect(ULEvent.Number.allCases.count == 19)
        #expect(expectedCells.count == 123)
        #expect(Set(expectedCells.values) == Set(ULAction.allCases.map(\.description)))
    }

    @Test("each action has the effects Tables 9-6 to 9-9 list, in order", arguments: ULAction.allCases)
    func actionEffects(action: ULAction) {
        let machine = AssociationStateMachine(state: .sta6, role: .acceptor)
        let event: ULEvent = switch action {
        case .ae6: .evt6(acceptable: true)
        case .aa3: .evt16(source: .serviceUser, reason: .reasonNotSpecified)
        case .aa7, .aa8: .evt19(reason: .unrecognizedPDU)
        default: .evt1
        }
        let userAbort = ULEffect.send(.abort(source: .serviceUser, reason: .reasonNotSpecified))
        let providerAbort = ULEffect.send(.abort(source: .serviceProvider, reason: .unrecognizedPDU))
        let expected: [ULEffect] = switch action {
        case .ae1: [.connectTransport]
        case .ae2: [.send(.associateRQ)]
        case .ae3: [.indicate(.associateAccepted)]
        case .ae4: [.indicate(.associateRejected), .closeTransport]
        case .ae5: [.acceptTransport, .startARTIM]
        case .ae6: [.stopARTIM, .indicate(.associate)]
        case .ae7: [.send(.associateAC)]
        case .ae8: [.send(.associateRJ), .startARTIM]
        case .dt1: [.send(.pDataTF)]
        case .dt2: [.indicate(.pData)]
        case .ar1: [.send(.releaseRQ)]
        case .ar2: [.indicate(.release)]
        case .ar3: [.indicate(.releaseConfirmed), .closeTransport]
        case .ar4: [.send(.releaseRP), .startARTIM]
        case .ar5: [.stopARTIM]
        case .ar6: [.indicate(.pData)]
        case .ar7: [.send(.pDataTF)]
        case .ar8: [.indicate(.release)]
        case .ar9: [.send(.releaseRP)]
        case .ar10: [.indicate(.releaseConfirmed)]
        case .aa1: [userAbort, .startARTIM]
        case .aa2: [.stopARTIM, .closeTransport]
        case .aa3: [.indicate(.abort), .closeTransport]
        case .aa4: [.indicate(.providerAbort(.reasonNotSpecified))]
        case .aa5: [.stopARTIM]
        case .aa6: []
        case .aa7: [providerAbort]
        case .aa8: [providerAbort, .indicate(.providerAbort(.unrecognizedPDU)), .startARTIM]
        }
        let result = machine.perform(action, for: event)
        #expect(result.effects == expected)
        #expect(result.next == expectedNextState[action.description])
    }

    @Test("acceptor: connection, accepted association, data, peer release, close returns to Sta1")
    func acceptorNormalAssociation() {
        let (machine, steps) = run([.evt5, .evt6(acceptable: true), .evt7, .evt10, .evt9, .evt12, .evt14, .evt17])
        #expect(steps.map(\.state) == [.sta2, .sta3, .sta6, .sta6, .sta6, .sta8, .sta13, .sta1])
        #expect(steps[0].effects == [.acceptTransport, .startARTIM])                 // AE-5
        #expect(steps[1].effects == [.stopARTIM, .indicate(.associate)])             // AE-6
        #expect(steps[2].effects == [.send(.associateAC)])                           // AE-7
        #expect(steps[3].effects == [.indicate(.pData)])                             // DT-2
        #expect(steps[4].effects == [.send(.pDataTF)])                               // DT-1
        #expect(steps[5].effects == [.indicate(.release)])                           // AR-2
        #expect(steps[6].effects == [.send(.releaseRP), .startARTIM])                // AR-4
        #expect(steps[7].effects == [.stopARTIM])                                    // AR-5
        #expect(machine.role == .acceptor)
    }

    @Test("acceptor: P-DATA may still be sent while awaiting the local A-RELEASE response (AR-7)")
    func acceptorSendsDataDuringRelease() {
        let (_, steps) = run([.evt5, .evt6(acceptable: true), .evt7, .evt12, .evt9, .evt14])
        #expect(steps.map(\.state) == [.sta2, .sta3, .sta6, .sta8, .sta8, .sta13])
        #expect(steps[4].effects == [.send(.pDataTF)])
    }

    @Test("requestor: connect, associate, data, local release, A-RELEASE-RP closes the connection")
    func requestorNormalAssociation() {
        let (machine, steps) = run([.evt1, .evt2, .evt3, .evt9, .evt10, .evt11, .evt10, .evt13])
        #expect(steps.map(\.state) == [.sta4, .sta5, .sta6, .sta6, .sta6, .sta7, .sta7, .sta1])
        #expect(steps[0].effects == [.connectTransport])                             // AE-1
        #expect(steps[1].effects == [.send(.associateRQ)])                           // AE-2
        #expect(steps[2].effects == [.indicate(.associateAccepted)])                 // AE-3
        #expect(steps[5].effects == [.send(.releaseRQ)])                             // AR-1
        #expect(steps[6].effects == [.indicate(.pData)])                             // AR-6
        #expect(steps[7].effects == [.indicate(.releaseConfirmed), .closeTransport]) // AR-3
        #expect(machine.role == .requestor)
    }

    @Test("requestor: an A-ASSOCIATE-RJ is confirmed to the user and closes the connection (AE-4)")
    func requestorRejected() {
        let (_, steps) = run([.evt1, .evt2, .evt4])
        #expect(steps.map(\.state) == [.sta4, .sta5, .sta1])
        #expect(steps[2].effects == [.indicate(.associateRejected), .closeTransport])
    }

    @Test("acceptor: the local user rejects, RJ is sent, ARTIM runs until the peer closes (AE-8)")
    func acceptorUserRejects() {
        let (_, steps) = run([.evt5, .evt6(acceptable: true), .evt8, .evt17])
        #expect(steps.map(\.state) == [.sta2, .sta3, .sta13, .sta1])
        #expect(steps[2].effects == [.send(.associateRJ), .startARTIM])
        #expect(steps[3].effects == [.stopARTIM])
    }

    @Test("acceptor: an unacceptable A-ASSOCIATE-RQ is rejected by the provider without indication (AE-6)")
    func acceptorProviderRejects() {
        let (_, steps) = run([.evt5, .evt6(acceptable: false), .evt18])
        #expect(steps.map(\.state) == [.sta2, .sta13, .sta1])
        #expect(steps[1].effects == [.stopARTIM, .send(.associateRJ), .startARTIM])
        #expect(steps[2].effects == [.stopARTIM, .closeTransport])                   // AA-2
    }

    @Test("release collision as requestor: Sta7 → AR-8 → Sta9 → AR-9 → Sta11 → AR-3 → Sta1")
    func releaseCollisionRequestor() {
        let (_, steps) = run([.evt1, .evt2, .evt3, .evt11, .evt12, .evt14, .evt13])
        #expect(steps.map(\.state) == [.sta4, .sta5, .sta6, .sta7, .sta9, .sta11, .sta1])
        #expect(steps[4].effects == [.indicate(.release)])                           // AR-8
        #expect(steps[5].effects == [.send(.releaseRP)])                             // AR-9
        #expect(steps[6].effects == [.indicate(.releaseConfirmed), .closeTransport]) // AR-3
    }

    @Test("release collision as acceptor: Sta7 → AR-8 → Sta10 → AR-10 → Sta12 → AR-4 → Sta13 → AR-5 → Sta1")
    func releaseCollisionAcceptor() {
        let (_, steps) = run([.evt5, .evt6(acceptable: true), .evt7, .evt11, .evt12, .evt13, .evt14, .evt17])
        #expect(steps.map(\.state) == [.sta2, .sta3, .sta6, .sta7, .sta10, .sta12, .sta13, .sta1])
        #expect(steps[4].effects == [.indicate(.release)])                           // AR-8
        #expect(steps[5].effects == [.indicate(.releaseConfirmed)])                  // AR-10
        #expect(steps[6].effects == [.send(.releaseRP), .startARTIM])                // AR-4
        #expect(steps[7].effects == [.stopARTIM])                                    // AR-5
    }

    @Test("ARTIM expiry in Sta2 (no A-ASSOCIATE-RQ in time) closes the connection (AA-2)")
    func artimExpiresInSta2() {
        let (_, steps) = run([.evt5, .evt18])
        #expect(steps.map(\.state) == [.sta2, .sta1])
        #expect(steps[1].effects == [.stopARTIM, .closeTransport])
    }

    @Test("ARTIM expiry in Sta13 after our A-ABORT closes the connection (AA-2)")
    func artimExpiresInSta13() {
        let (_, steps) = run([.evt5, .evt6(acceptable: true), .evt7, .evt15, .evt10, .evt18])
        #expect(steps.map(\.state) == [.sta2, .sta3, .sta6, .sta13, .sta13, .sta1])
        #expect(steps[3].effects == [.send(.abort(source: .serviceUser, reason: .reasonNotSpecified)), .startARTIM])
        #expect(steps[4].effects == [])                                              // AA-6: ignore PDU
        #expect(steps[5].effects == [.stopARTIM, .closeTransport])
    }

    @Test("the peer's service-user aborts: A-ABORT indication and close (AA-3)")
    func peerUserAbort() {
        let (_, steps) = run([.evt1, .evt2, .evt3, .evt16(source: .serviceUser, reason: .reasonNotSpecified)])
        #expect(steps.last?.state == .sta1)
        #expect(steps.last?.effects == [.indicate(.abort), .closeTransport])
    }

    @Test("the peer's service-provider aborts: A-P-ABORT indication with its reason and close (AA-3)")
    func peerProviderAbort() {
        let (_, steps) = run([.evt5, .evt6(acceptable: true), .evt7,
                              .evt16(source: .serviceProvider, reason: .invalidPDUParameterValue)])
        #expect(steps.last?.state == .sta1)
        #expect(steps.last?.effects == [.indicate(.providerAbort(.invalidPDUParameterValue)), .closeTransport])
    }

    @Test("the local user aborts: A-ABORT (service-user) sent, ARTIM started, Sta13 (AA-1)")
    func localAbort() {
        let (_, steps) = run([.evt1, .evt2, .evt3, .evt15, .evt17])
        #expect(steps.map(\.state) == [.sta4, .sta5, .sta6, .sta13, .sta1])
        #expect(steps[3].effects == [.send(.abort(source: .serviceUser, reason: .reasonNotSpecified)), .startARTIM])
        #expect(steps[4].effects == [.stopARTIM])                                    // AR-5
    }

    @Test("the local user aborts before the transport connection opens: no PDU, just close (AA-2)")
    func localAbortInSta4() {
        let (_, steps) = run([.evt1, .evt15])
        #expect(steps.map(\.state) == [.sta4, .sta1])
        #expect(steps[1].effects == [.stopARTIM, .closeTransport])
    }

    @Test("an unrecognized PDU in Sta6 sends A-ABORT (service-provider), starts ARTIM, Sta13 (AA-8)")
    func unrecognizedPDUInSta6() {
        let (_, steps) = run([.evt5, .evt6(acceptable: true), .evt7, .evt19(reason: .unrecognizedPDU)])
        #expect(steps.last?.state == .sta13)
        #expect(steps.last?.effects == [.send(.abort(source: .serviceProvider, reason: .unrecognizedPDU)),
                                        .indicate(.providerAbort(.unrecognizedPDU)), .startARTIM])
    }

    @Test("an unexpected well-formed PDU in Sta6 aborts with reason unexpected-PDU (AA-8)")
    func unexpectedPDUInSta6() {
        var machine = AssociationStateMachine(state: .sta6, role: .acceptor)
        let effects = machine.handle(.evt6(acceptable: true))
        #expect(machine.state == .sta13)
        #expect(effects.first == .send(.abort(source: .serviceProvider, reason: .unexpectedPDU)))
    }

    @Test("a PDU before the A-ASSOCIATE-RQ in Sta2 is answered with A-ABORT and ARTIM (AA-1)")
    func pduBeforeAssociateRQ() {
        let (_, steps) = run([.evt5, .evt10])
        #expect(steps.last?.state == .sta13)
        #expect(steps.last?.effects == [.send(.abort(source: .serviceUser, reason: .reasonNotSpecified)), .startARTIM])
    }

    @Test("the peer closing in Sta2 stops ARTIM (AA-5); in Sta6 it is an A-P-ABORT (AA-4)")
    func transportClosed() {
        let (_, early) = run([.evt5, .evt17])
        #expect(early.last?.effects == [.stopARTIM])
        #expect(early.last?.state == .sta1)
        let (_, late) = run([.evt5, .evt6(acceptable: true), .evt7, .evt17])
        #expect(late.last?.effects == [.indicate(.providerAbort(.reasonNotSpecified))])
        #expect(late.last?.state == .sta1)
    }

    @Test("a local primitive whose cell is empty is ignored and leaves the state alone")
    func emptyCellIgnored() {
        var machine = AssociationStateMachine()
        _ = machine.handle(.evt5)
        let transition = machine.step(.evt9)                                         // P-DATA request in Sta2
        #expect(transition.effects == [.ignored(.evt9, in: .sta2)])
        #expect(transition.action == nil)
        #expect(machine.state == .sta2)
        #expect(transition.description == "Sta2 + Evt9 → (no action)")
    }

    @Test("a step names its cell the way Table 9-10 does: Sta2 + Evt6 → AE-6 → Sta3")
    func transitionDescription() {
        var machine = AssociationStateMachine()
        _ = machine.handle(.evt5)
        let transition = machine.step(.evt6(acceptable: true))
        #expect(transition.description == "Sta2 + Evt6 → AE-6 → Sta3")
        #expect(transition.from == .sta2)
        #expect(transition.to == .sta3)
        #expect(transition.action == .ae6)
    }

    @Test("A-ABORT source and reason bytes follow PS3.8 Table 9-26 and keep unknown values")
    func abortFieldBytes() {
        #expect(Abort.Source(rawValue: 0) == .serviceUser)
        #expect(Abort.Source(rawValue: 2) == .serviceProvider)
        #expect(Abort.Source(rawValue: 1) == .unknown(1))
        #expect([0, 1, 2, 4, 5, 6].map { Abort.Reason(rawValue: $0) }
                == [.reasonNotSpecified, .unrecognizedPDU, .unexpectedPDU, .unrecognizedPDUParameter,
                    .unexpectedPDUParameter, .invalidPDUParameterValue])
        #expect(Abort.Reason(rawValue: 3) == .unknown(3))
        for byte in UInt8.min...UInt8.max {
            #expect(Abort.Reason(rawValue: byte).rawValue == byte)
            #expect(Abort.Source(rawValue: byte).rawValue == byte)
        }
    }
}
