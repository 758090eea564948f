import DicomCore
import DicomTestSupport
import Foundation
import Testing
@testable import DicomArchive

@Suite("Archive over pydicom's sample files")
struct ArchiveCorpusTests {
    @Test("importing every pydicom sample file stores or refuses each with a typed error and leaves a consistent archive",
          .enabled(if: !PydicomCorpus.files().isEmpty))
    func importCorpus() async throws {
        let root = TemporaryRoot()
        let archive = try root.archive(.keepFirst, .accept)
        var stored: [String: IngestResult] = [:]
        var duplicates = 0
        var refused: [String: Int] = [:]
        for url in PydicomCorpus.files() {
            do {
                let r = try await archive.importFile(at: url.path, context: IngestContext())
                if r.disposition == .stored { stored[url.lastPathComponent] = r } else { duplicates += 1 }
            } catch {
                let kind = "\(error)".prefix { $0 != ":" }
                refused[String(kind), default: 0] += 1
            }
        }
        print("pydicom corpus: \(stored.count) stored, \(duplicates) duplicates, refused: \(refused.sorted { $0.key < $1.key })")
        #expect(stored.count > 100)
        #expect(try await archive.instanceCount() == stored.count)
        #expect(root.files(in: "incoming").isEmpty)
        let report = try await archive.check(repair: false)
        #expect(report.isConsistent)
        #expect(report.objectFiles == stored.count)
        if let deflated = stored["image_dfl.dcm"] {
            let row = try #require(try await archive.index.instance(sopInstanceUID: deflated.sopInstanceUID))
            #expect(row.transferSyntaxUID == TransferSyntax.deflatedExplicitVRLittleEndian.uid)
        }
    }
}
