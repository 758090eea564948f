// Which SOP classes we serve and who serves them. Accepted presentation contexts come from this
// registry, so what we accept and what we serve cannot drift (STYLE.md).
import DicomCore
import Foundation

/// PS3.4 Annex B: the Storage SOP classes of the PS3.6 registry (every "… Storage" SOP class,
/// retired ones too, for old modalities), without Storage Commitment and the DICOMDIR class,
/// which PS3.10 keeps to media.
public enum StorageSOPClasses {
    public static let all: Set<String> = Set(UIDRegistry.all.filter { entry in
        entry.type == "SOP Class" && entry.keyword.hasSuffix("Storage")
            && !entry.keyword.hasPrefix("StorageCommitment") && entry.uid != "1.2.840.10008.1.3.10"
    }.map(\.uid))
}

/// The providers behind each service class; the dispatcher finds one by the message's SOP class.
public struct ServiceRegistry: Sendable {
    public var verification: Bool = true
    public var storage: (any StorageProvider)?
    /// The other services (query/retrieve, worklist, MPPS, storage commitment…).
    public var providers: [any DimseServiceProvider]

    public init(storage: (any StorageProvider)? = nil, providers: [any DimseServiceProvider] = []) {
        self.storage = storage
        self.providers = providers
    }

    /// Every abstract syntax we accept in a presentation context.
    public var abstractSyntaxes: Set<String> {
        var out: Set<String> = []
        if verification { out.insert(UID.verification) }
        if storage != nil { out.formUnion(StorageSOPClasses.all) }
        for p in providers { out.formUnion(p.abstractSyntaxes) }
        return out
    }

    /// The user information items a provider adds to the A-ASSOCIATE-AC for the accepted
    /// contexts: SOP Class Extended Negotiation answers (PS3.7 §D.3.3.5).
    public func negotiatedItems(for rq: AssociateRQ, accepted: [AcceptedContext]) -> [UserInformation.Item] {
        let acceptedClasses = Set(accepted.map(\.abstractSyntax))
        var items: [UserInformation.Item] = []
        for case .sopClassExtendedNegotiation(let proposed) in rq.userInformation.items {
            let uid = proposed.sopClassUID.trimmingCharacters(in: CharacterSet(charactersIn: " \0"))
            guard acceptedClasses.contains(uid),
                  let provider = providers.first(where: { $0.abstractSyntaxes.contains(uid) }),
                  let answer = provider.extendedNegotiation(for: uid, proposed: proposed.serviceClassApplicationInformation)
            else { continue }
            items.append(.sopClassExtendedNegotiation(SOPClassExtendedNegotiation(
                sopClassUID: uid, serviceClassApplicationInformation: answer)))
        }
        items += roleSelections(for: rq, accepted: accepted)
        return items
    }

    /// PS3.7 §D.3.3.4: the answer to each SCP/SCU Role Selection item for an accepted Storage
    /// SOP class when a C-GET provider is registered — the requestor may take the roles it
    /// proposed (SCP: it receives C-GET's C-STORE sub-operations, PS3.4 §C.4.3; SCU: it stores
    /// to us). Other proposals get no item: the default roles stand.
    public func roleSelections(for rq: AssociateRQ, accepted: [AcceptedContext]) -> [UserInformation.Item] {
        guard providers.contains(where: { $0.commandFields.contains(.cGetRQ) }) else { return [] }
        let acceptedClasses = Set(accepted.map(\.abstractSyntax))
        var seen: Set<String> = []
        var items: [UserInformation.Item] = []
        for proposed in rq.userInformation.roleSelections {
            let uid = proposed.sopClassUID.trimmingCharacters(in: CharacterSet(charactersIn: " \0"))
            guard StorageSOPClasses.all.contains(uid), acceptedClasses.contains(uid), seen.insert(uid).inserted else { continue }
            items.append(.roleSelection(RoleSelection(sopClassUID: uid, scuRole: proposed.scuRole && storage != nil,
                                                      scpRole: proposed.scpRole)))
        }
        return items
    }
}
