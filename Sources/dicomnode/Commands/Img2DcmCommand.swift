import ArgumentParser
import DicomCore
import Foundation

/// `dicomnode img2dcm INPUT... --out FILE|DIR`: wrap JPEG photographs and scans as Secondary
/// Capture images (PS3.3 §A.8.1), or PDF reports as Encapsulated PDF (PS3.3 §A.45.1), without
/// re-encoding, in one new series of a new or an existing study.
struct Img2DcmCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "img2dcm",
        abstract: "Wrap JPEG images (or, with --pdf, PDF documents) as DICOM instances of one new series.",
        discussion: """
        A baseline (SOF0) or extended sequential (SOF1) 8-bit JPEG of 1 or 3 components becomes a Secondary \
        Capture Image in JPEG Baseline (or JPEG Extended for SOF1) with the JPEG bytes as its only fragment; \
        progressive, lossless and 12-bit JPEGs are refused. With --pdf each input becomes an Encapsulated PDF. \
        Study, series and instance UIDs are generated unless --study / --series are given; give --study to \
        add the new series to an existing study. Instances are numbered 1, 2, … in the order of the inputs.
        """
    )

    @Option(name: .customLong("out"), help: "Output file (one input) or directory (created if missing; <input name>.dcm in it).")
    var out: String

    @Option(name: .customLong("patient-name"), help: "Patient's Name (0010,0010), e.g. 'Doe^Jane'.")
    var patientName = ""

    @Option(name: .customLong("patient-id"), help: "Patient ID (0010,0020).")
    var patientID = ""

    @Option(name: .customLong("study"), help: "Study Instance UID to join (default: a new study).")
    var study: String?

    @Option(name: .customLong("series"), help: "Series Instance UID (default: a new one).")
    var series: String?

    @Option(name: .customLong("accession"), help: "Accession Number (0008,0050).")
    var accession = ""

    @Option(name: .customLong("modality"), help: "Modality (default OT for images, DOC for PDF).")
    var modality: String?

    @Option(name: .customLong("series-number"), help: "Series Number (0020,0011).")
    var seriesNumber = 1

    @Flag(name: .customLong("pdf"), help: "The inputs are PDF documents: make Encapsulated PDF instances.")
    var pdf = false

    @Option(name: .customLong("title"), help: "Document Title of a PDF (default: the file name); Series Description of images.")
    var title: String?

    @Argument(help: "JPEG files (or PDF files with --pdf).")
    var inputs: [String]

    func validate() throws {
        guard !inputs.isEmpty else { throw ValidationError("give at least one input file") }
        for (name, uid) in [("--study", study), ("--series", series)] {
            if let uid, !Self.isValidUID(uid) { throw ValidationError("\(name) '\(uid)' is not a valid UID (PS3.5 §9.1)") }
        }
    }

    func run() throws {
        var context = ConversionContext()
        context.patientName = patientName
        context.patientID = patientID
        context.accessionNumber = accession
        context.modality = modality
        context.seriesNumber = seriesNumber
        if let study { context.studyInstanceUID = study }
        if let series { context.seriesInstanceUID = series }

        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: out, isDirectory: &isDirectory)
        let toDirectory = inputs.count > 1 || out.hasSuffix("/") || (exists && isDirectory.boolValue)
        if toDirectory && !exists {
            do {
                try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            } catch {
                printError("\(out): \(error.localizedDescription)")
                throw ExitCode(1)
            }
        }

        var failed = false, written = 0
        for (k, input) in inputs.enumerated() {
            let name = URL(fileURLWithPath: input).deletingPathExtension().lastPathComponent
            let path = toDirectory ? URL(fileURLWithPath: out).appendingPathComponent(name + ".dcm").path : out
            do {
                guard let data = FileManager.default.contents(atPath: input) else {
                    printError("\(input): cannot read")
                    failed = true
                    continue
                }
                var c = context
                if pdf { c.title = title ?? name } else { c.title = title }
                let file = pdf ? try SecondaryCapture.pdf([UInt8](data), instanceNumber: k + 1, context: c)
                               : try SecondaryCapture.image(jpeg: [UInt8](data), instanceNumber: k + 1, context: c)
                try file.write(to: path, options: .normalized)
                print("\(input) -> \(path) \(file.dataSet.string(.sopInstanceUID) ?? "")")
                written += 1
            } catch {
                printError("\(input): \(error)")
                failed = true
            }
        }
        if written > 0 { print("study \(context.studyInstanceUID) series \(context.seriesInstanceUID)") }
        if failed { throw ExitCode(1) }
    }

    /// PS3.5 §9.1: digits and dots, components without leading zeros, at most 64 characters.
    static func isValidUID(_ s: String) -> Bool {
        guard !s.isEmpty, s.utf8.count <= 64 else { return false }
        return s.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { part in
            !part.isEmpty && part.allSatisfy(\.isASCIIDigit) && (part == "0" || part.first != "0")
        }
    }
}

private extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
