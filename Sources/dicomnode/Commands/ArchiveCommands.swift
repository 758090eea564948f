import ArgumentParser
import DicomArchive
import DicomCore
import Foundation

/// Options shared by the commands that open the local archive.
struct ArchiveOptions: ParsableArguments {
    @Option(name: .customLong("data"), help: "Data directory (default ./dicomnode-data, or storage.data_directory of --config).")
    var dataDirectory: String?

    @Option(name: .customLong("config"), help: "YAML configuration file (for storage.*).")
    var configPath: String?

    func open() throws -> Archive {
        var config = NodeConfiguration()
        if let configPath {
            config = try NodeConfiguration.load(path: configPath)
        }
        if let dataDirectory { config.storage.dataDirectory = dataDirectory }
        return try Archive(configuration: config.archiveConfiguration)
    }
}

/// `dicomnode import DIR`: files into the local archive through the same ingest path as C-STORE.
struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import DICOM files into the local archive, without the network.",
        discussion: "Directories are read recursively; files that are not DICOM are skipped and counted. Exit status 1 when any DICOM file failed."
    )

    @OptionGroup var archiveOptions: ArchiveOptions

    @Argument(help: "DICOM files, or directories to read recursively.")
    var paths: [String]

    func run() async throws {
        let archive: Archive
        do { archive = try archiveOptions.open() } catch {
            printError("cannot open the archive: \(error)")
            throw ExitCode(1)
        }
        defer { archive.markClosed() }
        if let report = try? await archive.recoverIfNeeded() {
            print("reconciled after an unclean stop: \(report.repaired) problem(s) repaired")
        }
        var stored = 0, duplicates = 0, failed = 0, skipped = 0
        for path in FileArguments.expand(paths) {
            do {
                let result = try await archive.importFile(at: path, context: IngestContext())
                switch result.disposition {
                case .stored, .replaced: stored += 1
                case .duplicateIgnored: duplicates += 1
                }
            } catch .unreadable(let why) {
                skipped += 1
                if ProcessInfo.processInfo.environment["DICOMNODE_VERBOSE"] != nil { printError("\(path): \(why)") }
            } catch {
                failed += 1
                printError("\(path): \(error)")
            }
        }
        print("imported \(stored), duplicates \(duplicates), failed \(failed), skipped \(skipped) (not DICOM)")
        if failed > 0 { throw ExitCode(1) }
    }
}

/// `dicomnode check`: the index and the files agree.
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Verify that every indexed instance has its file and every file is indexed.",
        discussion: "Exit status 0 when consistent (after --repair, when everything was repaired), 1 otherwise."
    )

    @OptionGroup var archiveOptions: ArchiveOptions

    @Flag(name: .customLong("repair"), help: "Index orphan files, drop rows whose file is gone, quarantine unreadable files.")
    var repair = false

    func run() async throws {
        let archive: Archive
        do { archive = try archiveOptions.open() } catch {
            printError("cannot open the archive: \(error)")
            throw ExitCode(1)
        }
        // After an unclean stop, a check without --repair leaves the archive marked so that the
        // next `serve` still reconciles it.
        defer { if repair || !archive.previousRunEndedUncleanly { archive.markClosed() } }
        let report: CheckReport
        do { report = try await archive.check(repair: repair) } catch {
            printError("check failed: \(error)")
            throw ExitCode(1)
        }
        print("indexed instances: \(report.indexedInstances), object files: \(report.objectFiles)")
        for p in report.missingFiles { print("missing file: \(p)") }
        for p in report.unindexedFiles { print("unindexed file: \(p)") }
        for p in report.sizeMismatches { print("size mismatch: \(p)") }
        if report.isConsistent {
            print("consistent")
            return
        }
        if repair {
            let after = try await archive.check(repair: false)
            print("repaired \(report.repaired) problem(s)")
            if after.isConsistent {
                print("consistent")
                return
            }
        }
        print("inconsistent")
        throw ExitCode(1)
    }
}
