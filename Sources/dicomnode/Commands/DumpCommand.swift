import ArgumentParser
import DicomCore

/// `dicomnode dump FILE...`: a dcmdump-like listing of each file.
struct DumpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump",
        abstract: "Print the elements of DICOM files, like DCMTK's dcmdump."
    )

    @Flag(name: .customLong("headers-only"), help: "Stop before Pixel Data (read only what indexing needs).")
    var headersOnly = false

    @Option(name: .customLong("tag"), help: "Print only this element (repeatable): 0010,0010 or PatientName.")
    var tags: [String] = []

    @Flag(name: .customLong("no-meta"), help: "Leave out the File Meta Information group.")
    var noMeta = false

    @Option(name: .customLong("max-value"), help: "Cut values longer than this many characters.")
    var maxValue = 64

    @Argument(help: "DICOM files, or directories to read recursively.")
    var paths: [String]

    func run() throws {
        var only = Set<Tag>()
        for t in tags {
            guard let tag = Tag(parsing: t) else { throw ValidationError("unknown tag '\(t)'") }
            only.insert(tag)
        }
        let formatter = DumpFormatter(maxValueLength: maxValue, onlyTags: only)
        let options: ReadOptions = headersOnly ? .headersOnly : .default
        let files = FileArguments.expand(paths)
        var failures = 0
        var out = ""
        out.reserveCapacity(64 * 1024)
        for path in files {
            do {
                let file = try DicomFile.read(path: path, options: options)
                if only.isEmpty {
                    if files.count > 1 { out += "# \(path)\n" }
                    out += "# Dicom-File-Format\n\n"
                    if !noMeta && !file.fileMetaInformation.isEmpty {
                        out += "# Dicom-Meta-Information-Header\n# Used TransferSyntax: Little Endian Explicit\n"
                        for l in formatter.lines(file.fileMetaInformation) { out += l + "\n" }
                        out += "\n"
                    }
                    out += "# Dicom-Data-Set\n# Used TransferSyntax: \(file.transferSyntax.name)\n"
                }
                if !noMeta && !only.isEmpty {
                    for l in formatter.lines(file.fileMetaInformation) { out += l + "\n" }
                }
                for l in formatter.lines(file.dataSet) { out += l + "\n" }
            } catch {
                failures += 1
                FileHandleOutput.write(out, fd: 1)
                out = ""
                printError("\(path): \(error)")
            }
            if out.utf8.count > 60 * 1024 {
                FileHandleOutput.write(out, fd: 1)
                out = ""
            }
        }
        FileHandleOutput.write(out, fd: 1)
        if failures > 0 { throw ExitCode(1) }
    }
}
