import ArgumentParser
import DicomCore

/// `dicomnode convert IN OUT --transfer-syntax TS`: rewrite a file in another native syntax.
struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert a DICOM file between Implicit VR LE, Explicit VR LE, Deflated Explicit VR LE and Explicit VR BE.",
        discussion: """
        The output is a conforming Part 10 file: File Meta rebuilt with dicomnode's Implementation Class UID, \
        group lengths dropped, odd-length values padded. Compressed pixel data needs the codecs (not yet built).
        """
    )

    @Option(name: [.customShort("t"), .customLong("transfer-syntax")],
            help: "implicit | explicit | deflated | big | a UID | a registry keyword.")
    var transferSyntax: TransferSyntaxArgument?

    @Argument(help: "Input file.") var input: String
    @Argument(help: "Output file.") var output: String

    func run() throws {
        do {
            let file = try DicomFile.read(path: input)
            let target = transferSyntax?.syntax ?? file.transferSyntax
            let converted = try file.converted(to: target)
            try converted.write(to: output, options: .normalized)
        } catch let e as DicomReadError {
            printError("\(input): \(e)")
            throw ExitCode(1)
        } catch let e as DicomWriteError {
            printError("\(output): \(e)")
            throw ExitCode(1)
        }
    }
}
