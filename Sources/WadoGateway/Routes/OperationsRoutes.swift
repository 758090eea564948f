// The node's own REST endpoints: health, metrics, capabilities (PS3.18 §8.9), the OpenAPI
// document, and the worklist (orders from systems that speak neither DIMSE nor HL7).
#if canImport(Glibc)
import Glibc
#endif
import DicomArchive
import DicomCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

struct OperationsRoutes: Sendable {
    let gateway: DicomWebGateway

    func add(to router: Router<GatewayRequestContext>) {
        router.get("health") { _, _ in try await health() }
        router.get("metrics") { _, _ in
            guard let text = gateway.settings.metricsText else { throw DicomWebError.notFound("metrics are not enabled") }
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text())))
        }
        router.get("api/openapi.json") { _, _ in
            json(OpenAPIDocument.text(basePath: gateway.settings.normalizedBasePath))
        }
        let base = gateway.settings.normalizedBasePath
        // PS3.18 §8.9: OPTIONS on the service root describes what is supported.
        router.on(RouterPath(base.isEmpty ? "/" : base), method: .options) { request, _ in
            var response = json(Capabilities.text(root: gateway.serviceRoot(for: request)))
            response.headers[.allow] = "GET, HEAD, POST, OPTIONS"
            return response
        }
        router.get(RouterPath(base + "/capabilities")) { request, _ in
            json(Capabilities.text(root: gateway.serviceRoot(for: request)))
        }
        router.post("api/worklist") { request, context in try await addWorklist(request, context) }
        router.get("api/worklist") { request, _ in try await listWorklist(request) }
    }

    func json(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// Liveness plus the two things the node cannot work without: the index answers, and the
    /// archive's file system has room and takes writes. 503 when either fails.
    func health() async throws -> Response {
        var indexOK = true
        var instances = -1
        do { instances = try await gateway.archive.instanceCount() } catch { indexOK = false }
        let root = gateway.archive.configuration.root
        var st = statvfs()
        let statOK = statvfs(root, &st) == 0
        let free = statOK ? Int64(st.f_bavail) * Int64(st.f_frsize) : -1
        let writable = access(root + "/incoming", W_OK) == 0
        let storageOK = statOK && writable && free > 64 << 20
        let ok = indexOK && storageOK
        let body = """
            {"status":"\(ok ? "ok" : "unhealthy")","index":{"ok":\(indexOK),"instances":\(instances)},\
            "storage":{"ok":\(storageOK),"writable":\(writable),"freeBytes":\(free)}}
            """
        return json(body, status: ok ? .ok : .serviceUnavailable)
    }

    // MARK: - Worklist

    /// POST /api/worklist: one DICOM JSON object or an array of them (PS3.18 §F.2), each a
    /// Modality Worklist item (PS3.4 Table K.6-1) — the same checks as `dicomnode worklist add`.
    func addWorklist(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        guard let store = gateway.settings.worklist else { throw DicomWebError.notFound("the worklist is not enabled (worklist.enabled)") }
        let contentType = (request.headers[.contentType] ?? "").lowercased()
        guard contentType.hasPrefix("application/dicom+json") || contentType.hasPrefix("application/json") else {
            throw DicomWebError(.unsupportedMediaType, "send the worklist item as application/dicom+json")
        }
        let body = try await request.body.collect(upTo: 4 << 20)
        let bytes = Array(body.readableBytesView)
        let items: [DataSet]
        do {
            if bytes.first(where: { $0 > 0x20 }) == UInt8(ascii: "[") {
                items = try DicomJSONDecoder().decodeArray(bytes).map(\.dataSet)
            } else {
                items = [try DataSet.fromDicomJSON(bytes).dataSet]
            }
        } catch {
            throw DicomWebError.badRequest("the body is not DICOM JSON: \(error)")
        }
        guard !items.isEmpty else { throw DicomWebError.badRequest("no worklist item in the body") }
        var added: [DataSet] = []
        for item in items {
            do {
                added.append(try await store.add(item).item)
            } catch {
                throw DicomWebError.badRequest("worklist item refused: \(error)")
            }
        }
        var headers = HTTPFields()
        headers[.contentType] = "application/dicom+json"
        return Response(status: .created, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: try DicomJSONEncoder().encode(added))))
    }

    /// GET /api/worklist?PatientID=…&AccessionNumber=…&Modality=…&ScheduledStationAETitle=…
    func listWorklist(_ request: Request) async throws -> Response {
        guard let store = gateway.settings.worklist else { throw DicomWebError.notFound("the worklist is not enabled (worklist.enabled)") }
        var filter = WorklistPrefilter()
        for (key, value) in request.uri.queryParameters {
            let v = String(value)
            switch key {
            case "PatientID": filter.patientID = v
            case "AccessionNumber": filter.accessionNumber = v
            case "Modality": filter.modality = v
            case "ScheduledStationAETitle": filter.scheduledStationAETitle = v
            default: throw DicomWebError.badRequest("unknown worklist filter \"\(key.prefix(40))\"; use PatientID, AccessionNumber, Modality, ScheduledStationAETitle")
            }
        }
        let entries: [WorklistEntry]
        do { entries = try await store.entries(filter) } catch { throw DicomWebError.archive(error) }
        var headers = HTTPFields()
        headers[.contentType] = "application/dicom+json"
        return Response(status: .ok, headers: headers,
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: try DicomJSONEncoder().encode(entries.map(\.item)))))
    }
}
