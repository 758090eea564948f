import ArgumentParser
import DicomCore
import DimseServer
import Foundation
import Synchronization

/// `dicomnode store FILES|DIRS --to AE@host:port`: C-STORE SCU, like DCMTK's storescu/dcmsend.
struct StoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Send DICOM files to a peer with C-STORE (PS3.4 Annex B).",
        discussion: """
        Directories are read recursively. Presentation contexts are built from the files: each SOP \
        class is proposed with the files' own transfer syntaxes, Explicit and Implicit VR Little \
        Endian. Files that are not DICOM are skipped and counted. Exit status 1 when any file failed.
        """
    )

    @Argument(help: "DICOM files, or directories to read recursively.")
    var paths: [String]

    @Option(name: .customLong("to"), help: "The peer, AE@host:port.")
    var remote: String

    @Option(name: .customLong("aet"), help: "Our (calling) AE title.")
    var callingAETitle = "DICOMNODE"

    @Option(name: .customLong("parallel"), help: "Associations to send on at once.")
    var parallel = 1

    @Flag(name: .customLong("no-progress"), help: "No progress bar, even on a terminal.")
    var noProgress = false

    struct Item: Sendable {
        var path: String
        var sopClassUID: String
        var transferSyntaxUID: String
        var size: Int
    }

    func run() async throws {
        guard let peer = RemoteAE(parsing: remote) else { throw ValidationError("expected AE@host:port, got '\(remote)'") }
        guard (1...64).contains(parallel) else { throw ValidationError("--parallel must be 1–64") }
        let files = FileArguments.expand(paths)
        var items: [Item] = []
        var skipped = 0
        for path in files {
            guard let file = try? DicomFile.read(path: path, options: .headersOnly),
                  let sopClass = file.dataSet.string(.sopClassUID) ?? file.fileMetaInformation.string(.mediaStorageSOPClassUID),
                  // PS3.10 §7.1: a DICOMDIR belongs to its medium; it is not sent over the network.
                  sopClass != "1.2.840.10008.1.3.10"
            else {
                skipped += 1
                continue
            }
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            items.append(Item(path: path, sopClassUID: sopClass, transferSyntaxUID: file.transferSyntax.uid, size: size))
        }
        let contexts = Self.contexts(for: items)
        let progress = Progress(total: items.count, enabled: !noProgress && isatty(2) != 0)
        let clock = ContinuousClock()
        let start = clock.now
        let workers = min(parallel, max(items.count, 1))
        await withTaskGroup(of: Void.self) { group in
            for w in 0..<workers {
                let share = stride(from: w, to: items.count, by: workers).map { items[$0] }
                group.addTask {
                    await Self.send(share, to: peer, callingAETitle: callingAETitle, contexts: contexts, progress: progress)
                }
            }
        }
        progress.finish()
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let (sent, failed, bytes) = progress.counts
        let mb = Double(bytes) / 1_000_000
        print(String(format: "sent %d, failed %d, skipped %d (not DICOM or DICOMDIR); %.1f MB in %.2f s (%.1f files/s, %.1f MB/s)",
                     sent, failed, skipped, mb, seconds, seconds > 0 ? Double(sent) / seconds : 0, seconds > 0 ? mb / seconds : 0))
        if failed > 0 || (items.isEmpty && skipped > 0) { throw ExitCode(1) }
    }

    /// One context per (SOP class, transfer syntax of a file), each also offering the two
    /// uncompressed syntaxes so the peer may pick one we can convert to (PS3.8 §9.3.2.2);
    /// at most 128 (PS3.8: odd IDs 1–255).
    static func contexts(for items: [Item]) -> [ProposedContext] {
        var seen = Set<ProposedContext>()
        var out: [ProposedContext] = []
        for item in items {
            var syntaxes = [item.transferSyntaxUID]
            for ts in [UID.explicitVRLittleEndian, UID.implicitVRLittleEndian] where !syntaxes.contains(ts) {
                // Compressed files cannot be decompressed yet: offer only their own syntax.
                if TransferSyntax(uid: item.transferSyntaxUID).isEncapsulated { break }
                syntaxes.append(ts)
            }
            let c = ProposedContext(abstractSyntax: item.sopClassUID, transferSyntaxes: syntaxes)
            if seen.insert(c).inserted { out.append(c) }
        }
        return Array(out.prefix(128))
    }

    static func send(_ items: [Item], to peer: RemoteAE, callingAETitle: String, contexts: [ProposedContext],
                     progress: Progress) async {
        guard !items.isEmpty else { return }
        let association: DimseAssociation
        do {
            association = try await DimseAssociation.open(to: peer, callingAETitle: callingAETitle, contexts: contexts)
        } catch {
            printError("association with \(peer) failed: \(error); \(items.count) file(s) not sent")
            progress.failedUnsent(items.count)
            return
        }
        for (i, item) in items.enumerated() {
            do {
                let result = try await association.store(file: item.path)
                switch result.status.category {
                case .success, .warning:
                    progress.sent(bytes: item.size)
                default:
                    progress.failed(item.path, "status \(result.status)\(result.errorComment.map { ": \($0)" } ?? "")")
                }
            } catch let error as AssociationError {
                switch error {
                case .noContext:
                    progress.failed(item.path, "\(error)")
                default:
                    // The association is gone: the rest of this share fails too.
                    printError("\(item.path): \(error); \(items.count - i - 1) more file(s) not sent")
                    progress.failedUnsent(items.count - i)
                    return
                }
            } catch {
                progress.failed(item.path, "\(error)")
            }
        }
        try? await association.release()
    }
}

/// Counts and a one-line progress bar on stderr.
final class Progress: Sendable {
    private struct State { var sent = 0, failed = 0, bytes = 0, lastDraw = 0 }
    private let state = Mutex(State())
    let total: Int
    let enabled: Bool

    init(total: Int, enabled: Bool) {
        self.total = total
        self.enabled = enabled
    }

    var counts: (Int, Int, Int) { state.withLock { ($0.sent, $0.failed, $0.bytes) } }

    func sent(bytes: Int) {
        let line = state.withLock { s -> String? in
            s.sent += 1
            s.bytes += bytes
            return draw(&s)
        }
        if let line { FileHandleOutput.write(line, fd: 2) }
    }

    func failed(_ path: String, _ why: String) {
        let line = state.withLock { s -> String? in
            s.failed += 1
            return draw(&s)
        }
        printError("\(path): \(why)")
        if let line { FileHandleOutput.write(line, fd: 2) }
    }

    /// Files counted as failed without a line each (their association failed).
    func failedUnsent(_ n: Int) {
        let line = state.withLock { s -> String? in
            s.failed += n
            return draw(&s)
        }
        if let line { FileHandleOutput.write(line, fd: 2) }
    }

    private func draw(_ s: inout State) -> String? {
        guard enabled, total > 0 else { return nil }
        let done = s.sent + s.failed
        let percent = done * 100 / total
        guard percent != s.lastDraw || done == total else { return nil }
        s.lastDraw = percent
        let width = 30
        let filled = width * done / total
        return "\r[" + String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled)
            + "] \(done)/\(total) sent \(s.sent) failed \(s.failed)"
    }

    func finish() {
        if enabled { FileHandleOutput.write("\n", fd: 2) }
    }
}
