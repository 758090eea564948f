import ArgumentParser
import DicomCore

/// Options shared by `json` and `xml`: what to read and how to present bulk values.
struct ModelOutputOptions: ParsableArguments {
    @Flag(name: .customLong("inline-binary"), help: "Inline every binary value as base64 (no BulkDataURI).")
    var inlineBinary = false

    @Option(name: .customLong("bulk-threshold"), help: "Bulk values longer than this (bytes) become BulkDataURIs.")
    var bulkThreshold = 1024

    @Flag(name: .customLong("keep-un"), help: "Keep UN elements as UN instead of re-reading them with the dictionary VR.")
    var keepUN = false

    @Flag(name: .customLong("meta"), help: "Include the File Meta Information group.")
    var meta = false

    @Argument(help: "A DICOM file.")
    var file: String

    /// Reads the file, leaving values over the threshold in it when they will become BulkDataURIs.
    func read() throws -> DataSet {
        let options = inlineBinary ? ReadOptions.default : ReadOptions(bulkDataThreshold: UInt64(bulkThreshold), lazyPixelData: true)
        do {
            let f = try DicomFile.read(path: file, options: options)
            guard meta else { return f.dataSet }
            var all = f.dataSet
            for e in f.fileMetaInformation.elements { all[e.tag] = e }
            return all
        } catch {
            printError("\(file): \(error)")
            throw ExitCode(1)
        }
    }

    /// A value left in the file is referenced by path, offset and length; everything else is inlined.
    var bulkDataURI: (@Sendable (TagPath, DataElement) -> String?)? {
        guard !inlineBinary else { return nil }
        return { _, element in
            guard case .bulkData(let ref) = element.value else { return nil }
            return "file://\(ref.path)?offset=\(ref.offset)&length=\(ref.length)"
        }
    }
}

extension ModelOutputOptions {
    /// Reads the file and prints what `encode` makes of its data set; errors go to stderr, exit 1.
    func printEncoded(_ encode: (DataSet) throws -> String) throws {
        let ds = try read()
        do {
            FileHandleOutput.write(try encode(ds) + "\n", fd: 1)
        } catch {
            printError("\(file): \(error)")
            throw ExitCode(1)
        }
    }

    var threshold: Int? { inlineBinary ? nil : bulkThreshold }
}

/// `dicomnode json FILE`: the DICOM JSON model (PS3.18 §F.2).
struct JSONCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "json", abstract: "Print a file's data set in the DICOM JSON model (PS3.18 §F.2).")

    @OptionGroup var options: ModelOutputOptions

    func run() throws {
        let encoder = DicomJSONEncoder(bulkDataThreshold: options.threshold, bulkDataURI: options.bulkDataURI,
                                       reinterpretKnownUN: !options.keepUN)
        try options.printEncoded { try encoder.encodeString($0) }
    }
}

/// `dicomnode xml FILE`: the Native DICOM Model (PS3.18 §F.3).
struct XMLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "xml", abstract: "Print a file's data set in the Native DICOM Model XML (PS3.18 §F.3).")

    @OptionGroup var options: ModelOutputOptions

    func run() throws {
        let encoder = DicomXMLEncoder(bulkDataThreshold: options.threshold, bulkDataURI: options.bulkDataURI,
                                      reinterpretKnownUN: !options.keepUN)
        try options.printEncoded { try encoder.encodeString($0) }
    }
}
