import Foundation
import Testing
@testable import dicomnode

@Suite("Configuration file and flags")
struct ConfigurationTests {
    @Test("An empty file gives the embedded defaults: DICOMNODE, port 11112, ./dicomnode-data")
    func defaults() throws {
        let c = try NodeConfiguration.load(yaml: "", source: "empty")
        #expect(c == NodeConfiguration())
        #expect(c.aeTitle == "DICOMNODE" && c.dimse.port == 11112 && c.storage.dataDirectory == "./dicomnode-data")
    }

    @Test("A file sets what it names and keeps the defaults for the rest")
    func partial() throws {
        let c = try NodeConfiguration.load(yaml: """
            ae_title: ARCHIVE1
            dimse:
              port: 104
              allowed_calling_ae_titles: [CT1, MR2]
            storage:
              duplicate_policy: reject
            remote_aes:
              - { ae_title: PACS, host: 10.0.0.5, port: 4242 }
            """, source: "t.yaml")
        #expect(c.aeTitle == "ARCHIVE1")
        #expect(c.dimse.port == 104 && c.dimse.maxPDULength == 262_144)
        #expect(c.dimse.allowedCallingAETitles == ["CT1", "MR2"])
        #expect(c.storage.duplicatePolicy == .reject && c.storage.identityConflictPolicy == .accept)
        #expect(c.remoteAEs == [.init(aeTitle: "PACS", host: "10.0.0.5", port: 4242)])
    }

    @Test("A misspelt key is refused with its dotted name")
    func unknownKey() {
        #expect {
            try NodeConfiguration.load(yaml: "dimse:\n  prot: 104\n", source: "t.yaml")
        } throws: { error in
            "\(error)".contains("dimse.prot")
        }
        #expect {
            try NodeConfiguration.load(yaml: "remote_aes:\n  - {ae_title: A, host: h, port: 1, colour: red}\n", source: "t.yaml")
        } throws: { error in
            "\(error)".contains("remote_aes[].colour")
        }
    }

    @Test("Values out of range are refused: a 17-character AE title, port 0, an unknown policy")
    func badValues() {
        for yaml in ["ae_title: ABCDEFGHIJKLMNOPQ", "dimse:\n  port: 0", "storage:\n  duplicate_policy: sometimes",
                     "logging:\n  level: chatty", "dimse:\n  max_pdu_length: 100"] {
            #expect(throws: (any Error).self, "\(yaml)") { try NodeConfiguration.load(yaml: yaml, source: "t.yaml") }
        }
    }

    @Test("Flags override the file: --aet, --port, --data, --remote")
    func flagsOverride() throws {
        let dir = NSTemporaryDirectory() + "cfg-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/node.yaml"
        try "ae_title: FROMFILE\ndimse:\n  port: 2000\n".write(toFile: path, atomically: true, encoding: .utf8)
        let serve = try ServeCommand.parse(["--config", path, "--port", "3000", "--data", "/tmp/x",
                                            "--remote", "PACS@10.1.1.1:104"])
        let c = try serve.resolvedConfiguration()
        #expect(c.aeTitle == "FROMFILE" && c.dimse.port == 3000 && c.storage.dataDirectory == "/tmp/x")
        #expect(c.remoteAEs == [.init(aeTitle: "PACS", host: "10.1.1.1", port: 104)])
        #expect(throws: (any Error).self) { try ServeCommand.parse(["--remote", "nonsense"]).resolvedConfiguration() }
    }

    @Test("docs/reference/configuration.md documents exactly the keys the configuration has")
    func documented() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let doc = try String(contentsOf: root.appendingPathComponent("docs/reference/configuration.md"), encoding: .utf8)
        let documented = Set(doc.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("| `") else { return nil }
            return line.dropFirst(3).split(separator: "`").first.map(String.init)
        })
        #expect(documented == Set(NodeConfiguration.allKeys))
    }
}

@Suite("Ingest compression configuration")
struct IngestCompressionConfigurationTests {
    @Test("storage.compress_on_ingest maps modalities to lossless syntaxes by name; a lossy one is refused")
    func compressOnIngest() throws {
        let c = try NodeConfiguration.load(yaml: "storage:\n  compress_on_ingest:\n    CT: jpeg-ls\n    \"*\": htj2k-rpcl\n", source: "t")
        #expect(c.archiveConfiguration.ingestCompression == ["CT": "1.2.840.10008.1.2.4.80", "*": "1.2.840.10008.1.2.4.202"])
        #expect(throws: (any Error).self) {
            try NodeConfiguration.load(yaml: "storage:\n  compress_on_ingest:\n    CT: jpeg-baseline\n", source: "t")
        }
        #expect(throws: (any Error).self) {
            try NodeConfiguration.load(yaml: "storage:\n  compress_on_ingest:\n    CT: nonsense\n", source: "t")
        }
    }
}
