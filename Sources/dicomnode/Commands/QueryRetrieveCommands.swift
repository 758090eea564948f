// `dicomnode find`, `move`, `get`: the Query/Retrieve SCU (PS3.4 Annex C), like DCMTK's findscu,
// movescu and getscu.
import ArgumentParser
import DicomCore
import DimseServer
import Foundation
import Synchronization

/// Options the three commands share: the peer, the model, the level and the keys.
struct QueryRetrieveOptions: ParsableArguments {
    @Option(name: .customLong("to"), help: "The peer, AE@host:port.")
    var remote: String

    @Option(name: .customLong("aet"), help: "Our (calling) AE title.")
    var callingAETitle = "DICOMNODE"

    @Option(name: .customLong("model"), help: "Information model: patient or study (root).")
    var model = "study"

    @Option(name: .customLong("level"), help: "Query/Retrieve Level: PATIENT, STUDY, SERIES or IMAGE.")
    var level = "STUDY"

    @Option(name: .short, help: "A key, KEYWORD=VALUE or gggg,eeee=VALUE; without =VALUE a return key (repeatable).")
    var k: [String] = []

    func peer() throws -> RemoteAE {
        guard let p = RemoteAE(parsing: remote) else { throw ValidationError("expected AE@host:port, got '\(remote)'") }
        return p
    }

    func informationModel() throws -> QueryRetrieveModel {
        switch model.lowercased() {
        case "patient", "p": return .patientRoot
        case "study", "s": return .studyRoot
        default: throw ValidationError("--model must be patient or study, got '\(model)'")
        }
    }

    /// The identifier: Query/Retrieve Level (0008,0052) and the keys (PS3.4 §C.4.1.1.3).
    func identifier() throws -> DataSet {
        var ds = DataSet()
        do {
            try ds.set(.queryRetrieveLevel, string: level.uppercased(), vr: .CS)
        } catch {
            throw ValidationError("bad level: \(error)")
        }
        try Self.addKeys(k, to: &ds)
        return ds
    }

    /// Adds findscu-style keys: KEYWORD=VALUE, gggg,eeee=VALUE, and one level of sequence
    /// nesting as Sequence[0].Keyword=VALUE (the item is the sequence's first; an empty
    /// Sequence key asks for the whole sequence).
    static func addKeys(_ keys: [String], to ds: inout DataSet) throws {
        do {
            for key in keys {
                let (path, value) = key.firstIndex(of: "=").map { (String(key[..<$0]), String(key[key.index(after: $0)...])) }
                    ?? (key, "")
                if let dot = path.firstIndex(of: ".") {
                    let seqName = String(path[..<dot]).replacingOccurrences(of: "[0]", with: "")
                    guard let seqTag = tag(seqName) else { throw ValidationError("unknown key '\(seqName)'") }
                    var item = ds.sequence(seqTag)?.first ?? DataSet()
                    item.characterSet = ds.characterSet
                    try set(String(path[path.index(after: dot)...]), value, in: &item)
                    ds.set(seqTag, sequence: [item])
                } else {
                    try set(path, value, in: &ds)
                }
            }
        } catch let e as ValidationError {
            throw e
        } catch {
            throw ValidationError("bad key: \(error)")
        }
    }

    private static func set(_ name: String, _ value: String, in ds: inout DataSet) throws {
        guard let tag = tag(name) else { throw ValidationError("unknown key '\(name)'") }
        let vr = DataDictionary.entry(for: tag)?.vrs.first ?? .LO
        if value.isEmpty {
            if vr == .SQ { if ds[tag] == nil { ds.set(tag, sequence: []) } } else { ds[tag] = DataElement(tag: tag, vr: vr, value: .bytes([])) }
        } else {
            try ds.set(tag, strings: value.split(separator: "\\", omittingEmptySubsequences: false).map(String.init), vr: vr)
        }
        if tag == .specificCharacterSet { ds.characterSet = SpecificCharacterSet(terms: ds.strings(tag)) }
    }

    /// "PatientName" or "0010,0010".
    static func tag(_ name: String) -> Tag? {
        let parts = name.split(separator: ",")
        if parts.count == 2, let g = UInt16(parts[0], radix: 16), let e = UInt16(parts[1], radix: 16) { return Tag(g, e) }
        return DataDictionary.tag(forKeyword: name)
    }
}

/// `dicomnode find --to AE@host:port -k PatientName=DOE*`.
struct FindCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "find",
        abstract: "Query a peer with C-FIND (PS3.4 §C.4.1).",
        discussion: "Prints one block per match (or a DICOM JSON array with --json). Exit status 1 unless the final status is success."
    )

    @OptionGroup var options: QueryRetrieveOptions

    @Flag(name: .customLong("json"), help: "Print the matches as a DICOM JSON array (PS3.18 Annex F).")
    var json = false

    func run() async throws {
        let peer = try options.peer()
        let model = try options.informationModel()
        let identifier = try options.identifier()
        let matches = Mutex<[DataSet]>([])
        let status: DimseStatus
        do {
            let association = try await DimseAssociation.open(to: peer, callingAETitle: options.callingAETitle,
                                                              contexts: DimseAssociation.queryRetrieveContexts(model))
            status = try await association.find(model: model, identifier: identifier) { ds in matches.withLock { $0.append(ds) } }
            try? await association.release()
        } catch {
            printError("find \(peer): \(error)")
            throw ExitCode(1)
        }
        try printMatches(matches.withLock { $0 }, status: status, json: json, verb: "find")
    }
}

/// Prints C-FIND matches as text blocks (sequence items indented) or a DICOM JSON array; fails
/// unless the final status is success.
func printMatches(_ all: [DataSet], status: DimseStatus, json: Bool, verb: String) throws {
    if json {
        let bytes = (try? DicomJSONEncoder().encode(all)) ?? Array("[]".utf8)
        print(String(decoding: bytes, as: UTF8.self))
    } else {
        func show(_ ds: DataSet, indent: String) {
            for element in ds {
                let keyword = DataDictionary.keyword(for: element.tag) ?? "?"
                if element.vr == .SQ {
                    let items = element.items ?? []
                    print("\(indent)\(element.tag) SQ \(keyword) (\(items.count) items)")
                    for item in items { show(item.dataSet, indent: indent + "  ") }
                } else {
                    print("\(indent)\(element.tag) \(element.vr) \(keyword) = \(ds.strings(element.tag).joined(separator: "\\"))")
                }
            }
        }
        for (i, ds) in all.enumerated() {
            print("# match \(i + 1)")
            show(ds, indent: "")
        }
    }
    FileHandleOutput.write("\(verb): \(all.count) match(es), final status \(status)\n", fd: 2)
    if status != .success { throw ExitCode(1) }
}

/// Prints a retrieve's outcome and fails unless it succeeded.
private func report(_ verb: String, _ r: RetrieveResult) throws {
    print("\(verb): status \(r.status), completed \(r.completed), failed \(r.failed), warning \(r.warning)"
        + (r.errorComment.map { " (\($0))" } ?? ""))
    for uid in r.failedSOPInstanceUIDs { print("failed: \(uid)") }
    if r.status != .success { throw ExitCode(1) }
}

/// `dicomnode move --to AE@host:port --dest AE -k StudyInstanceUID=…`.
struct MoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "move",
        abstract: "Ask a peer to send instances to a destination AE with C-MOVE (PS3.4 §C.4.2).",
        discussion: "Exit status 1 unless the final status is success (0000)."
    )

    @OptionGroup var options: QueryRetrieveOptions

    @Option(name: .customLong("dest"), help: "The Move Destination AE title.")
    var destination: String

    func run() async throws {
        let peer = try options.peer()
        let model = try options.informationModel()
        let identifier = try options.identifier()
        let result: RetrieveResult
        do {
            let association = try await DimseAssociation.open(to: peer, callingAETitle: options.callingAETitle,
                                                              contexts: DimseAssociation.queryRetrieveContexts(model))
            result = try await association.move(model: model, destination: destination, identifier: identifier)
            try? await association.release()
        } catch {
            printError("move \(peer): \(error)")
            throw ExitCode(1)
        }
        try report("move", result)
    }
}

/// `dicomnode get --to AE@host:port --out DIR -k StudyInstanceUID=…`.
struct GetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get",
        abstract: "Retrieve instances on the same association with C-GET (PS3.4 §C.4.3) into a directory.",
        discussion: """
        Proposes the non-retired Storage SOP classes (Explicit and Implicit VR Little Endian) with \
        the SCP role (PS3.7 §D.3.3.4) and writes each received instance as a Part 10 file named \
        after its SOP Instance UID. Exit status 1 unless the final status is success (0000).
        """
    )

    @OptionGroup var options: QueryRetrieveOptions

    @Option(name: .customLong("out"), help: "Directory for the received files (created if missing).")
    var out: String

    @Option(name: .customLong("sop-class"), help: "Storage SOP Class UIDs to propose (repeatable; default: common ones).")
    var sopClasses: [String] = []

    /// Storage classes to propose: given ones, else the non-retired ones, the common first (PS3.8 §9.3.2.2: at most
    /// 128 contexts, three go to Query/Retrieve).
    static func storageClasses(_ given: [String]) -> [String] {
        if !given.isEmpty { return Array(given.prefix(125)) }
        let common = ["1.2.840.10008.5.1.4.1.1.2", "1.2.840.10008.5.1.4.1.1.4", "1.2.840.10008.5.1.4.1.1.7",
                      "1.2.840.10008.5.1.4.1.1.1", "1.2.840.10008.5.1.4.1.1.1.1", "1.2.840.10008.5.1.4.1.1.6.1",
                      "1.2.840.10008.5.1.4.1.1.3.1", "1.2.840.10008.5.1.4.1.1.12.1", "1.2.840.10008.5.1.4.1.1.20",
                      "1.2.840.10008.5.1.4.1.1.128", "1.2.840.10008.5.1.4.1.1.481.1", "1.2.840.10008.5.1.4.1.1.481.2",
                      "1.2.840.10008.5.1.4.1.1.481.3", "1.2.840.10008.5.1.4.1.1.481.5", "1.2.840.10008.5.1.4.1.1.2.1",
                      "1.2.840.10008.5.1.4.1.1.4.1", "1.2.840.10008.5.1.4.1.1.88.11", "1.2.840.10008.5.1.4.1.1.88.22",
                      "1.2.840.10008.5.1.4.1.1.104.1", "1.2.840.10008.5.1.4.1.1.66", "1.2.840.10008.5.1.4.1.1.9.1.1"]
        let rest = UIDRegistry.all.filter { !$0.isRetired && StorageSOPClasses.all.contains($0.uid) && !common.contains($0.uid) }
            .map(\.uid).sorted()
        return Array((common + rest).prefix(125))
    }

    func run() async throws {
        let peer = try options.peer()
        let model = try options.informationModel()
        let identifier = try options.identifier()
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let classes = Self.storageClasses(sopClasses)
        var contexts = DimseAssociation.queryRetrieveContexts(model)
        contexts += classes.map { ProposedContext(abstractSyntax: $0, transferSyntaxes: [UID.explicitVRLittleEndian, UID.implicitVRLittleEndian]) }
        let roles = classes.map { RoleSelection(sopClassUID: $0, scuRole: false, scpRole: true) }
        let directory = out
        let written = Mutex(0)
        let handler: IncomingStoreHandler = { command, transferSyntax, bytes in
            let status = Self.write(command: command, transferSyntax: transferSyntax, bytes: bytes, to: directory)
            if status == .success { written.withLock { $0 += 1 } }
            return status
        }
        let result: RetrieveResult
        do {
            let association = try await DimseAssociation.open(to: peer, callingAETitle: options.callingAETitle, contexts: contexts,
                                                              roleSelections: roles, storeHandler: handler)
            result = try await association.get(model: model, identifier: identifier)
            try? await association.release()
        } catch {
            printError("get \(peer): \(error)")
            throw ExitCode(1)
        }
        print("get: wrote \(written.withLock { $0 }) file(s) to \(out)")
        try report("get", result)
    }

    /// Writes one received instance as `<SOP Instance UID>.dcm`; the status for the C-STORE-RSP
    /// (PS3.4 Table B.2-1: A900 for a UID that is not one, C000 for a data set we cannot read, A700
    /// when it cannot be written).
    static func write(command: CommandSet, transferSyntax: String, bytes: [UInt8], to directory: String) -> DimseStatus {
        guard let uid = command.affectedSOPInstanceUID, !uid.isEmpty, uid.count <= 64,
              uid.allSatisfy({ $0 == "." || $0.isASCII && $0.isNumber }) else { return .dataSetDoesNotMatchSOPClass }
        let dataSet: DataSet
        do { dataSet = try DimseDataSetCoding.decode(bytes, transferSyntax: transferSyntax) } catch { return .cannotUnderstand }
        do {
            try DicomFile(dataSet: dataSet, transferSyntax: TransferSyntax(uid: transferSyntax))
                .write(to: (directory as NSString).appendingPathComponent(uid + ".dcm"))
        } catch {
            return .outOfResources
        }
        return .success
    }
}
