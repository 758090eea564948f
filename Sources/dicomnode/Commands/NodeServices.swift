// The DIMSE services `dicomnode serve` offers, built from its configuration in one place.
import DicomArchive
import DimseServer
import Logging

enum NodeServices {
    static func registry(config: NodeConfiguration, archive: Archive) -> ServiceRegistry {
        var qr = QueryRetrieveSettings(aeTitle: config.aeTitle)
        qr.personNameCaseInsensitive = config.query.personNameCaseInsensitive
        qr.resultLimit = config.query.resultLimit
        return ServiceRegistry(
            storage: ArchiveStorageProvider(archive: archive, aeTitle: config.aeTitle),
            providers: [
                QueryRetrieveFindProvider(index: archive.index, settings: qr, logger: Logger(label: "dicomnode.find")),
                StorageCommitmentProvider(index: archive.index, aeTitle: config.aeTitle, logger: Logger(label: "dicomnode.stgcmt")),
            ])
    }
}
