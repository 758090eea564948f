import DicomArchive
import DicomCore
import Testing
@testable import DimseServer

/// PS3.4 §C.4.2 / §C.4.3: sub-operation counts and the statuses of Tables C.4-2 and C.4-3.
@Suite("Retrieve sub-operations")
struct RetrieveTests {
    @Test("every sub-operation succeeded: final 0000 with counts, no remaining, no identifier")
    func allSucceeded() {
        var c = SubOperationCounts(total: 3)
        for uid in ["1.1", "1.2", "1.3"] { c.record(.success, sopInstanceUID: uid) }
        let r = c.finalReply(cancelled: false)
        #expect(r.status == .success)
        #expect(r.command.numberOfCompletedSuboperations == 3)
        #expect(r.command.numberOfFailedSuboperations == 0)
        #expect(r.command.numberOfWarningSuboperations == 0)
        #expect(r.command.numberOfRemainingSuboperations == nil)
        #expect(r.dataSet == nil)
    }

    @Test("pending responses carry the four counts, remaining going down")
    func pendingCounts() {
        var c = SubOperationCounts(total: 3)
        c.record(.success, sopInstanceUID: "1.1")
        c.record(DimseStatus(rawValue: 0xB007), sopInstanceUID: "1.2")
        let p = c.pendingReply
        #expect(p.status == .pending)
        #expect(p.command.numberOfRemainingSuboperations == 1)
        #expect(p.command.numberOfCompletedSuboperations == 1)
        #expect(p.command.numberOfWarningSuboperations == 1)
        #expect(p.command.numberOfFailedSuboperations == 0)
    }

    @Test("some failed: B000 with the Failed SOP Instance UID List (0008,0058)")
    func someFailed() {
        var c = SubOperationCounts(total: 3)
        c.record(.success, sopInstanceUID: "1.1")
        c.record(.outOfResources, sopInstanceUID: "1.2")
        c.record(.success, sopInstanceUID: "1.3")
        let r = c.finalReply(cancelled: false)
        #expect(r.status == DimseStatus(rawValue: 0xB000))
        #expect(r.command.numberOfFailedSuboperations == 1)
        #expect(r.command.numberOfCompletedSuboperations == 2)
        #expect(r.dataSet?.strings(Tag(0x0008, 0x0058)) == ["1.2"])
    }

    @Test("only warnings: B000 without a failed list")
    func onlyWarnings() {
        var c = SubOperationCounts(total: 1)
        c.record(DimseStatus(rawValue: 0xB000), sopInstanceUID: "1.1")
        let r = c.finalReply(cancelled: false)
        #expect(r.status == DimseStatus(rawValue: 0xB000))
        #expect(r.command.numberOfWarningSuboperations == 1)
        #expect(r.dataSet == nil)
    }

    @Test("all failed (destination gone after the first): A702, the rest counted as failed")
    func destinationLost() {
        var c = SubOperationCounts(total: 4)
        c.record(.processingFailure, sopInstanceUID: "1.1")
        c.failRemaining(["1.2", "1.3", "1.4"])
        let r = c.finalReply(cancelled: false)
        #expect(r.status == DimseStatus(rawValue: 0xA702))
        #expect(r.command.numberOfFailedSuboperations == 4)
        #expect(r.command.numberOfCompletedSuboperations == 0)
        #expect(r.dataSet?.strings(Tag(0x0008, 0x0058)) == ["1.1", "1.2", "1.3", "1.4"])
    }

    @Test("cancel: FE00 with the remaining count (PS3.7 §9.1.3.1.6)")
    func cancelled() {
        var c = SubOperationCounts(total: 5)
        c.record(.success, sopInstanceUID: "1.1")
        c.record(.success, sopInstanceUID: "1.2")
        let r = c.finalReply(cancelled: true)
        #expect(r.status == .cancel)
        #expect(r.command.numberOfRemainingSuboperations == 3)
        #expect(r.command.numberOfCompletedSuboperations == 2)
    }

    @Test("no matches: 0000 with zero counts")
    func noMatches() {
        let r = SubOperationCounts(total: 0).finalReply(cancelled: false)
        #expect(r.status == .success)
        #expect(r.command.numberOfCompletedSuboperations == 0)
        #expect(r.command.numberOfFailedSuboperations == 0)
    }

    @Test("a retrieve identifier without its level's unique key is refused (the whole level would match)")
    func uniqueKeyRequired() throws {
        var ds = DataSet()
        try ds.set(.queryRetrieveLevel, string: "STUDY")
        ds[Tag(0x0020, 0x000D)] = DataElement(tag: Tag(0x0020, 0x000D), vr: .UI, value: .bytes([]))
        #expect(RetrieveSelection.missingUniqueKey(ds, level: .study) == "StudyInstanceUID")
        #expect(RetrieveSelection.missingUniqueKey(ds, level: .series) == "SeriesInstanceUID")
        try ds.set(Tag(0x0020, 0x000D), strings: ["1.2.3", "1.2.4"], vr: .UI)
        #expect(RetrieveSelection.missingUniqueKey(ds, level: .study) == nil)
        try ds.set(Tag(0x0010, 0x0020), string: "PAT1", vr: .LO)
        #expect(RetrieveSelection.missingUniqueKey(ds, level: .patient) == nil)
    }

    @Test("C-MOVE sub-association: a compressed stored syntax gets its own context beside the native pair")
    func moveContexts() {
        let ct = "1.2.840.10008.5.1.4.1.1.2", sc = "1.2.840.10008.5.1.4.1.1.7"
        let instances = [
            RetrieveInstance(sopClassUID: ct, sopInstanceUID: "1.1", transferSyntaxUID: UID.explicitVRLittleEndian, path: "/a"),
            RetrieveInstance(sopClassUID: ct, sopInstanceUID: "1.2", transferSyntaxUID: UID.implicitVRLittleEndian, path: "/b"),
            RetrieveInstance(sopClassUID: sc, sopInstanceUID: "1.3", transferSyntaxUID: "1.2.840.10008.1.2.4.50", path: "/c"),
        ]
        let native = [UID.explicitVRLittleEndian, UID.implicitVRLittleEndian]
        #expect(QueryRetrieveMoveProvider.contexts(for: instances) == [
            ProposedContext(abstractSyntax: ct, transferSyntaxes: native),
            ProposedContext(abstractSyntax: sc, transferSyntaxes: ["1.2.840.10008.1.2.4.50"]),
            ProposedContext(abstractSyntax: sc, transferSyntaxes: native),
        ])
    }
}

/// PS3.7 §D.3.3.4: SCP/SCU role selection answers in the A-ASSOCIATE-AC.
@Suite("Role selection for C-GET")
struct RoleSelectionTests {
    struct GetStub: DimseServiceProvider {
        var abstractSyntaxes: Set<String> { ["1.2.840.10008.5.1.4.1.2.2.3"] }
        var commandFields: Set<CommandField> { [.cGetRQ] }
        func perform(_ request: DimseRequest, operation: DimseOperation) async -> DimseReply { DimseReply(status: .success) }
    }
    static let ct = "1.2.840.10008.5.1.4.1.1.2"
    static let mr = "1.2.840.10008.5.1.4.1.1.4"

    static func rq(_ roles: [RoleSelection]) -> AssociateRQ {
        AssociateRQ(calledAETitle: "DICOMNODE", callingAETitle: "GETSCU",
                    presentationContexts: [.init(id: 1, abstractSyntax: ct, transferSyntaxes: [UID.implicitVRLittleEndian])],
                    userInformation: UserInformation(items: [.maximumLength(16384)] + roles.map { .roleSelection($0) }))
    }

    @Test("a proposed SCP role for an accepted storage class is answered with SCP-role 1")
    func answered() {
        let registry = ServiceRegistry(providers: [GetStub()])
        let accepted = [AcceptedContext(id: 1, abstractSyntax: Self.ct, transferSyntax: UID.implicitVRLittleEndian)]
        let items = registry.negotiatedItems(for: Self.rq([
            RoleSelection(sopClassUID: Self.ct, scuRole: false, scpRole: true),
            RoleSelection(sopClassUID: Self.mr, scuRole: false, scpRole: true),   // not accepted: no answer
        ]), accepted: accepted)
        #expect(items == [.roleSelection(RoleSelection(sopClassUID: Self.ct, scuRole: false, scpRole: true))])
    }

    @Test("without a C-GET provider no role selection is answered")
    func noGetProvider() {
        let registry = ServiceRegistry(providers: [])
        let accepted = [AcceptedContext(id: 1, abstractSyntax: Self.ct, transferSyntax: UID.implicitVRLittleEndian)]
        #expect(registry.negotiatedItems(for: Self.rq([RoleSelection(sopClassUID: Self.ct, scuRole: false, scpRole: true)]),
                                         accepted: accepted).isEmpty)
    }
}
