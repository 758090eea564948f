// PS3.18 §10.5 STOW-RS: POST multipart/related; type="application/dicom" to /studies or
// /studies/{uid}. Each part goes through the archive's one ingest path, as C-STORE does:
// written to a staging file as it arrives, fsync'd, renamed, indexed — and only then counted
// as stored in the response (§10.5.3: ReferencedSOPSequence / FailedSOPSequence).
import DicomArchive
import DicomCore
import HTTPTypes
import Hummingbird
import NIOCore

struct STOWRoutes: Sendable {
    let gateway: DicomWebGateway

    func add(to router: RouterGroup<GatewayRequestContext>) {
        router.post("studies") { request, context in
            try await store(request, study: nil)
        }
        router.post("studies/:study") { request, context in
            try await store(request, study: context.parameters.uid("study", "Study Instance UID"))
        }
    }

    /// PS3.18 Table 10.5.3-3 failure reasons (the PS3.4 Annex B C-STORE codes).
    enum FailureReason: UInt16 {
        case processingFailure = 0x0110
        case duplicate = 0x0111
        case outOfResources = 0xA700
        case dataSetDoesNotMatch = 0xA900
        case cannotUnderstand = 0xC000
        /// PS3.18 §10.5.3: the part's media type is not one the origin server stores.
        case unsupportedMediaType = 0xC122
    }

    struct Outcome {
        var stored: [(sopClass: String, sopInstance: String, study: String, series: String)] = []
        var failed: [(sopClass: String?, sopInstance: String?, reason: FailureReason, why: String)] = []
    }

    func store(_ request: Request, study: String?) async throws -> Response {
        // PS3.18 §10.5.1.1: the body is multipart/related; type="application/dicom".
        guard let contentType = request.headers[.contentType] else {
            throw DicomWebError(.unsupportedMediaType, "Content-Type is missing; send multipart/related; type=\"application/dicom\"")
        }
        let media = try MediaRange.parseRange(contentType)
        guard media.type == "multipart/related" else {
            throw DicomWebError(.unsupportedMediaType, "STOW-RS takes multipart/related; type=\"application/dicom\", not \(media.type)")
        }
        let partType = media.parameters["type"] ?? "application/dicom"
        guard partType == "application/dicom" else {
            throw DicomWebError(.unsupportedMediaType,
                                "parts of type \(partType) are not stored here (metadata and bulk data STOW is not supported); send application/dicom")
        }
        guard let boundary = media.parameters["boundary"], !boundary.isEmpty, boundary.utf8.count <= 70 else {
            throw DicomWebError.badRequest("the multipart Content-Type has no boundary parameter (RFC 2046 §5.1.1)")
        }

        var reader = MultipartReader(boundary: boundary)
        var outcome = Outcome()
        var staged: StagingFile?
        var partOK = false            // the current part is application/dicom and is being staged
        var partIndex = 0
        var sawPart = false
        let archive = gateway.archive

        func finishPart() async {
            guard let file = staged else { return }
            staged = nil
            do {
                let result = try await archive.ingest(file, context: IngestContext(sourceAETitle: nil, expectedStudyInstanceUID: study))
                // A duplicate kept under keep-first is in the archive: success, as C-STORE answers it.
                outcome.stored.append((result.sopClassUID, result.sopInstanceUID, result.studyInstanceUID, result.seriesInstanceUID))
            } catch {
                file.discard()
                let (reason, uids) = Self.reason(error, staged: file)
                outcome.failed.append((uids.0, uids.1, reason, "part \(partIndex): \(error)"))
            }
        }

        do {
            for try await chunk in request.body {
                let events: [MultipartReader.Event]
                do {
                    events = try reader.feed(chunk.readableBytesView)
                } catch {
                    throw DicomWebError.badRequest("the multipart body is malformed: \(error)")
                }
                for event in events {
                    switch event {
                    case .partStart(let headers):
                        sawPart = true
                        partIndex += 1
                        let type = (headers["content-type"].flatMap { try? MediaRange.parseRange($0) })?.type ?? "application/dicom"
                        partOK = type == "application/dicom"
                        if partOK {
                            do { staged = try archive.makeStagingFile() } catch {
                                throw DicomWebError.archive(error)
                            }
                        } else {
                            outcome.failed.append((nil, nil, .unsupportedMediaType, "part \(partIndex) is \(type), not application/dicom"))
                        }
                    case .body(let bytes):
                        guard partOK, let file = staged else { continue }
                        do {
                            try await BlockingIO.run { () throws(ArchiveError) in try file.write(bytes) }
                        } catch {
                            file.discard()
                            staged = nil
                            partOK = false
                            if case .outOfSpace = error { throw DicomWebError.archive(error) }
                            outcome.failed.append((nil, nil, .processingFailure, "part \(partIndex): \(error)"))
                        }
                    case .partEnd:
                        if partOK { await finishPart() }
                        partOK = false
                    case .end:
                        break
                    }
                }
            }
        } catch {
            staged?.discard()
            throw error
        }
        guard reader.isComplete else {
            // A truncated body: the part in progress is dropped; parts completed before it stay stored.
            staged?.discard()
            staged = nil
            if !sawPart { throw DicomWebError.badRequest("the body holds no part delimited by boundary \"\(boundary.prefix(70))\"") }
            outcome.failed.append((nil, nil, .cannotUnderstand, "the body ended inside part \(partIndex) (no close delimiter)"))
            return try response(outcome, request: request)
        }
        guard sawPart else { throw DicomWebError.badRequest("the multipart body holds no parts") }
        return try response(outcome, request: request)
    }

    /// The failure reason for an ingest error, and the UIDs of the part when they could be read.
    static func reason(_ error: ArchiveError, staged: StagingFile) -> (FailureReason, (String?, String?)) {
        switch error {
        case .unreadable, .missingAttribute: return (.cannotUnderstand, (nil, nil))
        case .studyMismatch, .sopClassMismatch, .sopInstanceMismatch, .identityConflict: return (.dataSetDoesNotMatch, (nil, nil))
        case .duplicateRejected(let uid): return (.duplicate, (nil, uid))
        case .outOfSpace: return (.outOfResources, (nil, nil))
        case .io, .index: return (.processingFailure, (nil, nil))
        }
    }

    /// PS3.18 §10.5.3: 200 when all stored, 202 when some failed, 409 when none stored.
    func response(_ outcome: Outcome, request: Request) throws -> Response {
        let root = gateway.serviceRoot(for: request)
        var ds = DataSet()
        ds.characterSet = SpecificCharacterSet(terms: ["ISO_IR 192"])
        if let study = outcome.stored.first?.study {
            try ds.set(Tag(0x0008, 0x1190), string: "\(root)/studies/\(study)", vr: .UR)
        }
        if !outcome.failed.isEmpty {
            var items: [DataSet] = []
            for f in outcome.failed {
                var item = DataSet()
                if let c = f.sopClass { try item.set(Tag(0x0008, 0x1150), string: c, vr: .UI) }
                if let i = f.sopInstance { try item.set(Tag(0x0008, 0x1155), string: i, vr: .UI) }
                try item.set(Tag(0x0008, 0x1197), ints: [Int(f.reason.rawValue)], vr: .US)
                items.append(item)
                gateway.logger.notice("STOW-RS part refused: \(f.why)")
            }
            ds.set(Tag(0x0008, 0x1198), sequence: items)
        }
        if !outcome.stored.isEmpty {
            var items: [DataSet] = []
            for s in outcome.stored {
                var item = DataSet()
                try item.set(Tag(0x0008, 0x1150), string: s.sopClass, vr: .UI)
                try item.set(Tag(0x0008, 0x1155), string: s.sopInstance, vr: .UI)
                try item.set(Tag(0x0008, 0x1190), string: "\(root)/studies/\(s.study)/series/\(s.series)/instances/\(s.sopInstance)", vr: .UR)
                items.append(item)
            }
            ds.set(Tag(0x0008, 0x1199), sequence: items)
        }
        let status: HTTPResponse.Status = outcome.failed.isEmpty ? .ok : (outcome.stored.isEmpty ? .conflict : .accepted)
        var headers = HTTPFields()
        headers[.contentType] = "application/dicom+json"
        if !outcome.failed.isEmpty {
            let why = outcome.failed.map(\.why).joined(separator: "; ").replacingOccurrences(of: "\"", with: "'")
            headers[.warning] = "299 dicomnode \"\(why.prefix(1024))\""
        }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: try ds.dicomJSON())))
    }
}

import Foundation
