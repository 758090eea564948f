import ArgumentParser
import DicomCore
import DimseServer

/// `dicomnode echo AE@host:port`: C-ECHO, like DCMTK's echoscu.
struct EchoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "echo",
        abstract: "Verify a DICOM peer with C-ECHO (PS3.4 Annex A)."
    )

    @Argument(help: "The peer, AE@host:port.")
    var remote: String

    @Option(name: .customLong("aet"), help: "Our (calling) AE title.")
    var callingAETitle = "DICOMNODE"

    @Option(name: .customLong("repeat"), help: "Number of C-ECHOs on the association.")
    var count = 1

    func run() async throws {
        guard let peer = RemoteAE(parsing: remote) else { throw ValidationError("expected AE@host:port, got '\(remote)'") }
        let clock = ContinuousClock()
        let start = clock.now
        do {
            let association = try await DimseAssociation.open(
                to: peer, callingAETitle: callingAETitle,
                contexts: [ProposedContext(abstractSyntax: UID.verification,
                                           transferSyntaxes: [UID.implicitVRLittleEndian, UID.explicitVRLittleEndian])])
            var failed = false
            for _ in 0..<max(count, 1) {
                let status = try await association.echo()
                if status != .success {
                    printError("C-ECHO to \(peer): status \(status)")
                    failed = true
                }
            }
            try await association.release()
            let elapsed = (clock.now - start).components
            let ms = elapsed.seconds * 1000 + elapsed.attoseconds / 1_000_000_000_000_000
            if failed { throw ExitCode(1) }
            print("echo \(peer): success (\(ms) ms)")
        } catch let error as ExitCode {
            throw error
        } catch {
            printError("echo \(peer): \(error)")
            throw ExitCode(1)
        }
    }
}
