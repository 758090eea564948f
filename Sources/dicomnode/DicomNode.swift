import ArgumentParser
import DicomCore

@main
struct DicomNode: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dicomnode",
        abstract: "A DICOM network node: archive, DIMSE and DICOMweb server, and operator tools.",
        version: DicomFile.implementationVersionName,
        subcommands: [ServeCommand.self, EchoCommand.self, StoreCommand.self, FindCommand.self, MoveCommand.self, GetCommand.self,
                      ImportCommand.self, CheckCommand.self, DumpCommand.self, JSONCommand.self, XMLCommand.self,
                      ConvertCommand.self, WorklistCommand.self, TranscodeCommand.self, RenderCommand.self,
                      BenchCodecCommand.self, BenchCodecLibCommand.self, Img2DcmCommand.self]
    )
}

/// Prints `error: …` on stderr; the CLI's one way of reporting a failure that is not a usage error.
func printError(_ message: String) {
    var stderr = StandardError()
    print("error: \(message)", to: &stderr)
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        FileHandleOutput.write(string, fd: 2)
    }
}

enum FileHandleOutput {
    static func write(_ string: String, fd: Int32) {
        var s = string
        s.withUTF8 { buf in
            var off = 0
            while off < buf.count {
                let n = Glibc.write(fd, buf.baseAddress! + off, buf.count - off)
                if n <= 0 { return }
                off += n
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
