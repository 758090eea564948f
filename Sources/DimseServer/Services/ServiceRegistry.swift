// Which SOP classes we serve and who serves them. Accepted presentation contexts come from this
// registry, so what we accept and what we serve cannot drift (STYLE.md).
import DicomCore

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

    public init(storage: (any StorageProvider)? = nil) {
        self.storage = storage
    }

    /// Every abstract syntax we accept in a presentation context.
    public var abstractSyntaxes: Set<String> {
        var out: Set<String> = []
        if verification { out.insert(UID.verification) }
        if storage != nil { out.formUnion(StorageSOPClasses.all) }
        return out
    }
}
