import Foundation
import Testing
@testable import DicomCore
import DicomTestSupport

/// Every sample file of pydicom and pydicom-data: read, and written back byte for byte.
/// (Values are compared with pydicom's by conformance/golden_pydicom.py.)
@Suite("pydicom sample files")
struct PydicomCorpusTests {
    /// Files that are damaged on purpose; reading them must fail with a DicomReadError.
    static let knownBroken: Set<String> = [
        "rtplan_truncated.dcm", "MR_truncated.dcm", "no_meta.dcm", "DICOMDIR-nooffset",
        "emri_small_jpeg_2k_lossless_too_short.dcm",
    ]

    @Test("the corpus is installed")
    func corpusPresent() {
        #expect(PydicomCorpus.files().count >= 200, "run Scripts/install-deps.sh: pydicom and pydicom-data provide the corpus")
    }

    @Test("every readable sample file is written back byte for byte (deflated: the inflated bytes)")
    func byteExactWriteBack() throws {
        var exact = 0, unreadable: [String] = [], differing: [String] = []
        for url in PydicomCorpus.files() {
            let original = try [UInt8](Data(contentsOf: url))
            let file: DicomFile
            do {
                file = try DicomFile.read(bytes: original)
            } catch {
                unreadable.append(url.lastPathComponent)
                continue
            }
            if file.transferSyntax.isDeflated {
                let again = try DicomFile.read(bytes: file.encoded())
                if again.dataSet == file.dataSet, try again.encodedDataSet() == file.encodedDataSet() { exact += 1 } else { differing.append(url.lastPathComponent) }
            } else if try file.encoded() == original {
                exact += 1
            } else {
                differing.append(url.lastPathComponent)
            }
        }
        print("pydicom corpus: \(exact) files written back byte-exact, \(unreadable.count) unreadable: \(unreadable.sorted())")
        #expect(differing.isEmpty, "not byte-exact: \(differing)")
        #expect(Set(unreadable).isSubset(of: Self.knownBroken), "unexpectedly unreadable: \(Set(unreadable).subtracting(Self.knownBroken))")
        #expect(exact >= 200)
    }

    @Test("damaged sample files give a typed error with offset and element")
    func damagedFilesFailClearly() throws {
        for url in PydicomCorpus.files() where Self.knownBroken.contains(url.lastPathComponent) {
            #expect(throws: DicomReadError.self, "\(url.lastPathComponent)") { _ = try DicomFile.read(path: url.path) }
        }
    }

    @Test("lazy and headers-only reads agree with the full read on every sample file")
    func lazyAgreesWithFull() throws {
        var checked = 0
        for url in PydicomCorpus.files() where !Self.knownBroken.contains(url.lastPathComponent) {
            guard let full = try? DicomFile.read(path: url.path) else { continue }
            let lazy = try DicomFile.read(path: url.path, options: ReadOptions(bulkDataThreshold: 256, lazyPixelData: true))
            #expect(try lazy.encoded() == full.encoded(), "\(url.lastPathComponent)")
            let headers = try DicomFile.read(path: url.path, options: .headersOnly)
            for e in headers.dataSet.elements { #expect(full.dataSet[e.tag] == e, "\(url.lastPathComponent) \(e.tag)") }
            checked += 1
        }
        #expect(checked >= 200)
    }
}
