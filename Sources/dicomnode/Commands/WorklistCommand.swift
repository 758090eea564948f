import ArgumentParser
import DicomArchive
import DicomCore
import DimseServer
import Synchronization
import Foundation

/// `dicomnode worklist`: the Modality Worklist kept in the data directory (PS3.4 Annex K).
struct WorklistCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worklist",
        abstract: "Manage the Modality Worklist (PS3.4 Annex K) in the data directory.",
        subcommands: [WorklistAddCommand.self, WorklistFindCommand.self]
    )
}

/// `dicomnode worklist add FILE...`: adds worklist items from DICOM JSON or DICOM files.
struct WorklistAddCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Add worklist entries from DICOM JSON files (an object or an array of objects) or DICOM worklist files (.wl, .dcm).",
        discussion: """
        Each item is a Requested Procedure with one Scheduled Procedure Step Sequence (0040,0100) item. \
        A missing Study Instance UID is generated; a missing Scheduled Procedure Step Status is SCHEDULED. \
        An item with the Accession Number and SPS ID of an existing entry replaces it. Safe while serve runs.
        """
    )

    @Option(name: .customLong("data"), help: "Data directory (storage.data_directory).")
    var dataDirectory = "./dicomnode-data"

    @Argument(help: "DICOM JSON or DICOM files.")
    var files: [String]

    func run() async throws {
        let store: SQLiteWorklistStore
        do {
            try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
            store = try SQLiteWorklistStore(dataDirectory: dataDirectory)
        } catch {
            printError("cannot open the worklist in \(dataDirectory): \(error)")
            throw ExitCode(1)
        }
        var failed = false
        for path in files {
            do {
                for item in try Self.items(path: path) {
                    let entry = try await store.add(item)
                    let step = entry.item.sequence(.scheduledProcedureStepSequence)?.first
                    print("added \(path): accession \(entry.item.string(.accessionNumber) ?? "-"), "
                          + "SPS \(step?.string(.scheduledProcedureStepID) ?? "-"), study \(entry.item.string(.studyInstanceUID) ?? "-")")
                }
            } catch {
                printError("\(path): \(error)")
                failed = true
            }
        }
        if failed { throw ExitCode(1) }
    }

    /// The items in a file: DICOM JSON (object or array) when it starts with "{" or "[", else Part 10
    /// (or a bare data set in Explicit/Implicit VR as DCMTK's .wl files may be).
    static func items(path: String) throws -> [DataSet] {
        guard let data = FileManager.default.contents(atPath: path) else { throw ConfigurationError("cannot read \(path)") }
        let bytes = [UInt8](data)
        let first = bytes.first { !($0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 || $0 == 0xEF || $0 == 0xBB || $0 == 0xBF) }
        if first == UInt8(ascii: "[") {
            return try DicomJSONDecoder().decodeArray(bytes).map(\.dataSet)
        }
        if first == UInt8(ascii: "{") {
            return [try DataSet.fromDicomJSON(bytes).dataSet]
        }
        return [try DicomFile.read(bytes: bytes).dataSet]
    }
}

/// `dicomnode worklist find --to AE@host:port -k ScheduledProcedureStepSequence[0].Modality=CT …`:
/// a Modality Worklist C-FIND SCU (PS3.4 §K.4.1), like `findscu -W`.
struct WorklistFindCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "find",
        abstract: "Query a worklist SCP (Modality Worklist Information Model – FIND).",
        discussion: """
            Keys as for findscu: KEYWORD=VALUE, gggg,eeee=VALUE, and Sequence[0].Keyword=VALUE for the \
            Scheduled Procedure Step Sequence. Prints one block per entry (or DICOM JSON with --json); \
            exit status 1 unless the final status is success.
            """)

    @Option(name: .customLong("to"), help: "The worklist SCP, AE@host:port.")
    var remote: String
    @Option(name: .customLong("aet"), help: "Our (calling) AE title.")
    var callingAETitle = "DICOMNODE"
    @Option(name: .short, help: "A key (repeatable).")
    var k: [String] = []
    @Flag(name: .customLong("json"), help: "Print the entries as a DICOM JSON array.")
    var json = false

    static let modalityWorklistFind = "1.2.840.10008.5.1.4.31"

    func run() async throws {
        guard let peer = RemoteAE(parsing: remote) else { throw ValidationError("expected AE@host:port, got '\(remote)'") }
        var identifier = DataSet()
        try QueryRetrieveOptions.addKeys(k, to: &identifier)
        let matches = Mutex<[DataSet]>([])
        let status: DimseStatus
        do {
            let association = try await DimseAssociation.open(
                to: peer, callingAETitle: callingAETitle,
                contexts: [ProposedContext(abstractSyntax: Self.modalityWorklistFind,
                                           transferSyntaxes: [TransferSyntax.explicitVRLittleEndian.uid,
                                                              TransferSyntax.implicitVRLittleEndian.uid])])
            status = try await association.find(sopClass: Self.modalityWorklistFind, identifier: identifier) { ds in
                matches.withLock { $0.append(ds) }
            }
            try? await association.release()
        } catch {
            FileHandleOutput.write("worklist find \(peer): \(error)\n", fd: 2)
            throw ExitCode(1)
        }
        try printMatches(matches.withLock { $0 }, status: status, json: json, verb: "worklist find")
    }
}
