// PS3.8 §7.1 and §9.3.3–9.3.4: who may associate with us and which presentation contexts we
// accept, answered as an A-ASSOCIATE-AC or the exact A-ASSOCIATE-RJ of PS3.8 Table 9-21.
import DicomCore

/// A presentation context both sides agreed on (PS3.8 §9.3.3.2).
public struct AcceptedContext: Sendable, Hashable {
    public var id: UInt8
    public var abstractSyntax: String
    public var transferSyntax: String
}

/// What was negotiated on one association; handed to every service call.
public struct AssociationInfo: Sendable {
    /// A short id for log lines ("a17"): never patient data.
    public var id: String
    public var callingAETitle: String
    public var calledAETitle: String
    public var peerAddress: String
    /// The largest P-DATA-TF PDU the peer accepts (0 = unlimited, PS3.8 §D.1).
    public var peerMaxPDULength: UInt32
    public var accepted: [UInt8: AcceptedContext]
    public var peerImplementationClassUID: String?
    public var peerImplementationVersionName: String?
    public var userIdentity: UserIdentityRQ?
    /// SOP Class Extended Negotiation as accepted (PS3.7 §D.3.3.5): SOP class → our answer.
    public var extendedNegotiation: [String: [UInt8]] = [:]
}

/// Association acceptance rules: AE titles, peers, limits, and which abstract and transfer
/// syntaxes we take.
public struct AssociationPolicy: Sendable {
    /// Our AE title; an A-ASSOCIATE-RQ calling another is rejected (PS3.8 Table 9-21, source 1 reason 7).
    public var aeTitle: String
    /// When true, a called AE title other than ours is still accepted (some modalities send "ANY-SCP").
    public var acceptAnyCalledAETitle: Bool = false
    /// Calling AE titles allowed to associate; nil = anyone (source 1 reason 3 otherwise).
    public var allowedCallingAETitles: Set<String>?
    /// The largest P-DATA-TF PDU we accept, advertised in the AC (PS3.8 §D.1).
    public var maxPDULength: UInt32 = 262_144
    /// Associations open at once; one more is rejected transiently (source 3 reason 2, local limit exceeded).
    public var maxAssociations: Int = 64
    /// Associations open at once from one calling AE title.
    public var maxAssociationsPerCallingAE: Int = 16

    public init(aeTitle: String) {
        self.aeTitle = aeTitle
    }

    /// The answer to an A-ASSOCIATE-RQ.
    public enum Decision: Sendable {
        case accept(AssociateAC, [AcceptedContext])
        case reject(AssociateRJ, reason: String)
    }

    /// Decides on `rq`: AE checks first (PS3.8 Table 9-21), then each presentation context
    /// (PS3.8 §9.3.3.2 results 0, 3, 4), choosing the transfer syntax by ``chooseTransferSyntax``.
    /// - Parameters:
    ///   - rq: the request.
    ///   - supported: the abstract syntaxes a service provider is registered for.
    ///   - openAssociations: associations already open, in total and from this calling AE.
    ///   - negotiate: user information items to add to the AC for the accepted contexts
    ///     (extended negotiation answers, role selection).
    public func decide(_ rq: AssociateRQ, supported: Set<String>,
                       openAssociations: (total: Int, fromCallingAE: Int),
                       negotiate: ([AcceptedContext]) -> [UserInformation.Item] = { _ in [] }) -> Decision {
        // PS3.8 §9.3.2: protocol version bit 0 must be set; otherwise source 2 reason 2.
        if rq.protocolVersion & 0x0001 == 0 {
            return .reject(AssociateRJ(result: .rejectedPermanent, source: .serviceProviderACSE,
                                       reason: .protocolVersionNotSupported),
                           reason: "protocol version \(rq.protocolVersion) not supported")
        }
        // PS3.7 §A.2.1: the DICOM application context name.
        if rq.applicationContextName != "1.2.840.10008.3.1.1.1" {
            return .reject(AssociateRJ(result: .rejectedPermanent, source: .serviceUser,
                                       reason: .applicationContextNameNotSupported),
                           reason: "application context \(rq.applicationContextName) not supported")
        }
        let called = rq.calledAETitle.trimmingCharacters(in: .whitespaces)
        if !acceptAnyCalledAETitle && called != aeTitle {
            return .reject(AssociateRJ(result: .rejectedPermanent, source: .serviceUser,
                                       reason: .calledAETitleNotRecognized),
                           reason: "called AE title \"\(called)\" is not ours (\(aeTitle))")
        }
        let calling = rq.callingAETitle.trimmingCharacters(in: .whitespaces)
        if let allowed = allowedCallingAETitles, !allowed.contains(calling) {
            return .reject(AssociateRJ(result: .rejectedPermanent, source: .serviceUser,
                                       reason: .callingAETitleNotRecognized),
                           reason: "calling AE title \"\(calling)\" is not on the allow-list")
        }
        if openAssociations.total >= maxAssociations || openAssociations.fromCallingAE >= maxAssociationsPerCallingAE {
            return .reject(AssociateRJ(result: .rejectedTransient, source: .serviceProviderPresentation,
                                       reason: .localLimitExceeded),
                           reason: "association limit reached (\(openAssociations.total) open, \(openAssociations.fromCallingAE) from \(calling))")
        }

        var results: [AssociateAC.PresentationContext] = []
        var accepted: [AcceptedContext] = []
        for pc in rq.presentationContexts {
            let abstract = pc.abstractSyntax.trimmingCharacters(in: CharacterSet(charactersIn: " \0"))
            guard supported.contains(abstract) else {
                results.append(.init(id: pc.id, result: .abstractSyntaxNotSupported, transferSyntax: nil))
                continue
            }
            let offered = pc.transferSyntaxes.map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " \0")) }
            guard let ts = Self.chooseTransferSyntax(from: offered, abstractSyntax: abstract) else {
                results.append(.init(id: pc.id, result: .transferSyntaxesNotSupported, transferSyntax: nil))
                continue
            }
            results.append(.init(id: pc.id, result: .acceptance, transferSyntax: ts))
            accepted.append(AcceptedContext(id: pc.id, abstractSyntax: abstract, transferSyntax: ts))
        }

        var items: [UserInformation.Item] = [
            .maximumLength(maxPDULength),
            .implementationClassUID(DicomFile.implementationClassUID),
            .implementationVersionName(DicomFile.implementationVersionName),
        ]
        items += negotiate(accepted)
        // PS3.7 §D.3.3.7.2: answer a user identity request that asks for a positive response.
        // Usernames are taken as given (no access policy yet): the response field is empty.
        if let identity = rq.userInformation.userIdentity, identity.positiveResponseRequested {
            items.append(.userIdentityAC(serverResponse: []))
        }
        let ac = AssociateAC(calledAETitle: rq.calledAETitle, callingAETitle: rq.callingAETitle,
                             presentationContexts: results, userInformation: UserInformation(items: items))
        return .accept(ac, accepted)
    }

    /// PS3.5 §10 and Annex A: the syntax we accept from those offered for one context.
    ///
    /// We store what arrives as it arrives, so a compressed (encapsulated) syntax the proposer
    /// put first is taken as is; otherwise Explicit VR Little Endian, then Implicit VR Little
    /// Endian (the default syntax every peer must support, PS3.5 §10.1), then deflated and big
    /// endian. Unknown UIDs (not in the PS3.6 registry as transfer syntaxes) are never chosen.
    public static func chooseTransferSyntax(from offered: [String], abstractSyntax: String) -> String? {
        let known = offered.filter { UIDRegistry.entry(for: $0)?.type == "Transfer Syntax" }
        if abstractSyntax != UID.verification,
           let compressed = known.first(where: { TransferSyntax(uid: $0).isEncapsulated }) {
            return compressed
        }
        for preferred in [TransferSyntax.explicitVRLittleEndian, .implicitVRLittleEndian,
                          .deflatedExplicitVRLittleEndian, .explicitVRBigEndian] where known.contains(preferred.uid) {
            return preferred.uid
        }
        return known.first
    }
}

import Foundation
