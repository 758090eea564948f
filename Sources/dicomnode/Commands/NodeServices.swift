// The DIMSE services `dicomnode serve` offers, built from its configuration in one place.
import DicomArchive
import DimseServer
import Logging

enum NodeServices {
    static func registry(config: NodeConfiguration, archive: Archive, worklist: (any WorklistStore)? = nil) -> ServiceRegistry {
        var qr = QueryRetrieveSettings(aeTitle: config.aeTitle)
        qr.personNameCaseInsensitive = config.query.personNameCaseInsensitive
        qr.resultLimit = config.query.resultLimit
        // PS3.4 §C.4.2.1.2: a Move Destination must be a remote AE we know (A801 otherwise).
        var destinations: [String: RemoteAE] = [:]
        for r in config.remoteAEs where destinations[r.aeTitle] == nil {
            destinations[r.aeTitle] = RemoteAE(aeTitle: r.aeTitle, host: r.host, port: r.port)
        }
        let known = destinations
        let store = archive.store
        let localPath: @Sendable (String) -> String? = { store.localPath($0) }
        return ServiceRegistry(
            storage: ArchiveStorageProvider(archive: archive, aeTitle: config.aeTitle),
            providers: [
                QueryRetrieveFindProvider(index: archive.index, settings: qr, logger: Logger(label: "dicomnode.find")),
                StorageCommitmentProvider(index: archive.index, settings: storageCommitment(config: config, known: known),
                                          logger: Logger(label: "dicomnode.stgcmt")),
                QueryRetrieveMoveProvider(index: archive.index, localPath: localPath, settings: qr,
                                          destinations: { known[$0] }, logger: Logger(label: "dicomnode.move")),
                QueryRetrieveGetProvider(index: archive.index, localPath: localPath, settings: qr,
                                         logger: Logger(label: "dicomnode.get")),
            ] + worklistProviders(config: config, store: worklist))
    }

    /// PS3.4 Annex J: the report goes back to the requestor, found by its calling AE title among
    /// the remote AEs when it must travel on a new association.
    static func storageCommitment(config: NodeConfiguration, known: [String: RemoteAE]) -> StorageCommitmentSettings {
        let c = config.storageCommitment
        var s = StorageCommitmentSettings(aeTitle: config.aeTitle, remote: { known[$0] })
        s.reportAssociation = StorageCommitmentSettings.ReportAssociation(rawValue: c.reportAssociation) ?? .same
        s.reportTimeout = .seconds(c.reportTimeoutSeconds)
        s.retries = c.reportRetries
        s.retryInterval = .seconds(c.reportRetryIntervalSeconds)
        return s
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
