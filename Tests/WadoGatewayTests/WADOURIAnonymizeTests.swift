import DicomArchive
import DicomCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Testing
@testable import WadoGateway

/// WADO-URI anonymize=yes (PS3.18 §9.4.1) through the router: the PS3.15 Basic Profile.
@Suite("WADO-URI anonymize=yes (router, no socket)")
struct WADOURIAnonymizeTests {
    static func uri(_ sop: String, _ extra: String) -> String {
        "/wado?requestType=WADO&studyUID=\(Sample.study)&seriesUID=\(Sample.series)&objectUID=\(sop)\(extra)"
    }

    @Test("anonymize=yes gives the de-identified object; the same new UIDs on every request; one study UID")
    func anonymizedObject() async throws {
        let f = try GatewayFixture()
        var ds = Sample.image(sop: "1.2.3.70")
        ds[Tag(0x0009, 0x0010)] = .text(Tag(0x0009, 0x0010), .LO, "ACME")
        ds[Tag(0x0009, 0x1001)] = .text(Tag(0x0009, 0x1001), .LO, "Doe Jane")
        try await f.store(ds)
        try await f.store(Sample.image(sop: "1.2.3.71"))
        try await f.test { client in
            let first = try await client.execute(uri: Self.uri("1.2.3.70", "&contentType=application%2Fdicom&anonymize=yes"), method: .get) { r in
                #expect(r.status == .ok)
                #expect(r.headers[.contentType] == "application/dicom")
                return try DicomFile.read(bytes: r.body.bytes)
            }
            let ds = first.dataSet
            #expect(ds[.patientName]?.bytes == [])
            #expect(ds[.patientID]?.bytes == [])
            #expect(ds[.studyDate]?.bytes == [])
            #expect(ds.tags.allSatisfy { !$0.isPrivate })
            #expect(ds.string(.patientIdentityRemoved) == "YES")
            #expect(ds.sequence(.deidentificationMethodCodeSequence)?.first?.string(.codeValue) == "113100")
            let newSOP = try #require(ds.string(.sopInstanceUID))
            #expect(newSOP != "1.2.3.70" && newSOP.hasPrefix("2.25."))
            #expect(first.fileMetaInformation.string(.mediaStorageSOPInstanceUID) == newSOP)
            #expect(ds.string(.studyInstanceUID) != Sample.study)
            #expect(ds[.pixelData]?.bytes == Sample.pixels(frames: 1))
            // Again: the same new SOP Instance UID (the key is kept in the data directory).
            try await client.execute(uri: Self.uri("1.2.3.70", "&contentType=application%2Fdicom&anonymize=yes"), method: .get) { r in
                let again = try DicomFile.read(bytes: r.body.bytes)
                #expect(again.dataSet.string(.sopInstanceUID) == newSOP)
            }
            // Another instance of the study: the same new Study Instance UID, another SOP Instance UID.
            try await client.execute(uri: Self.uri("1.2.3.71", "&contentType=application%2Fdicom&anonymize=yes"), method: .get) { r in
                let other = try DicomFile.read(bytes: r.body.bytes).dataSet
                #expect(other.string(.studyInstanceUID) == ds.string(.studyInstanceUID))
                #expect(other.string(.seriesInstanceUID) == ds.string(.seriesInstanceUID))
                #expect(other.string(.sopInstanceUID) != newSOP)
            }
            // With a transfer syntax: de-identified, then converted.
            try await client.execute(uri: Self.uri("1.2.3.70", "&contentType=application%2Fdicom&anonymize=yes&transferSyntax=1.2.840.10008.1.2"),
                                     method: .get) { r in
                #expect(r.status == .ok)
                let file = try DicomFile.read(bytes: r.body.bytes)
                #expect(file.transferSyntax.uid == "1.2.840.10008.1.2")
                #expect(file.dataSet.string(.sopInstanceUID) == newSOP)
                #expect(file.dataSet[.patientName]?.bytes == [])
            }
            // Rendered images carry no attributes: served as usual.
            try await client.execute(uri: Self.uri("1.2.3.70", "&contentType=image%2Fpng&anonymize=yes"), method: .get) { r in
                #expect(r.status == .ok)
                #expect(r.headers[.contentType] == "image/png")
            }
            try await client.execute(uri: Self.uri("1.2.3.70", "&contentType=application%2Fdicom&anonymize=no"), method: .get) { r in
                #expect(r.status == .badRequest)
            }
            // The capabilities description names the parameter (and is still valid JSON).
            try await client.execute(uri: "/dicom-web/capabilities", method: .get) { r in
                let services = (r.body.json as? [String: Any])?["services"] as? [String: Any]
                let wado = services?["WADO-URI"] as? [String: Any]
                #expect((wado?["parameters"] as? [String])?.contains("anonymize") == true)
            }
        }
        let key = try #require(FileManager.default.contents(atPath: f.root + "/" + DeidentificationKey.fileName))
        #expect(key.count == DeidentificationKey.length)
    }

    @Test("anonymize=yes of a Burned In Annotation YES image is 403 with a reason; without anonymize it is served")
    func burnedInRefused() async throws {
        let f = try GatewayFixture()
        var ds = Sample.image(sop: "1.2.3.72")
        ds[.burnedInAnnotation] = .text(.burnedInAnnotation, .CS, "YES")
        try await f.store(ds)
        try await f.test { client in
            try await client.execute(uri: Self.uri("1.2.3.72", "&contentType=application%2Fdicom&anonymize=yes"), method: .get) { r in
                #expect(r.status == .forbidden)
                #expect(String(buffer: r.body).contains("Burned In Annotation"))
            }
            try await client.execute(uri: Self.uri("1.2.3.72", "&contentType=image%2Fjpeg&anonymize=yes"), method: .get) { r in
                #expect(r.status == .forbidden)
            }
            try await client.execute(uri: Self.uri("1.2.3.72", "&contentType=application%2Fdicom"), method: .get) { r in
                #expect(r.status == .ok)
            }
        }
    }
}
