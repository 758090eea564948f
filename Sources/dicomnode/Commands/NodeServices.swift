// The DIMSE services `dicomnode serve` offers, built from its configuration in one place.
import DicomArchive
import DimseServer
import Logging

enum NodeServices {
    static func registry(config: NodeConfiguration, archive: Archive, worklist: (any WorklistStore)? = nil) -> ServiceRegistry {
        var qr = QueryRetrieveSettings(aeTitle: config.aeTitle)
        qr.personNameCaseInsensitive = config.query.personNameCaseInsensitive
        qr.resultLimit = config.query.resultLimit
        return ServiceRegistry(
            storage: ArchiveStorageProvider(archive: archive, aeTitle: config.aeTitle),
            providers: [
                QueryRetrieveFindProvider(index: archive.index, settings: qr, logger: Logger(label: "dicomnode.find")),
                StorageCommitmentProvider(index: archive.index, aeTitle: config.aeTitle, logger: Logger(label: "dicomnode.stgcmt")),
            ] + worklistProviders(config: config, store: worklist))
    }

    /// PS3.4 Annex K and F: Modality Worklist FIND and MPPS, when the worklist is enabled.
    static func worklistProviders(config: NodeConfiguration, store: (any WorklistStore)?) -> [any DimseServiceProvider] {
        guard config.worklist.enabled, let store else { return [] }
        return [
            WorklistFindProvider(store: store, expireAfterHours: config.worklist.expireAfterHours,
                                 personNameCaseInsensitive: config.query.personNameCaseInsensitive),
            MPPSProvider(store: store),
        ]
    }
}
