// CORS (Fetch standard §3.2) for browser viewers: preflight answered here, allowed origins
// from configuration. Hummingbird's CORSMiddleware takes a fixed list only as variadic
// arguments, so the configured list is checked here.
import HTTPTypes
import Hummingbird

struct CORSPolicy<Context: RequestContext>: RouterMiddleware {
    let allowedOrigins: [String]
    var allowAny: Bool { allowedOrigins.contains("*") }

    static var allowedHeaders: String { "Accept, Authorization, Content-Type, Range, If-None-Match, If-Modified-Since" }
    static var exposedHeaders: String { "Content-Type, Content-Length, Content-Range, Content-Location, ETag, Warning, Location" }

    func allowedOrigin(_ origin: String?) -> String? {
        guard let origin, origin != "null" else { return nil }
        if allowAny { return "*" }
        return allowedOrigins.contains(origin) ? origin : nil
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let origin = request.headers[.origin]
        // A preflight: OPTIONS with Origin and Access-Control-Request-Method.
        if request.method == .options, origin != nil, request.headers[.accessControlRequestMethod] != nil {
            var headers = HTTPFields()
            if let allowed = allowedOrigin(origin) {
                headers[.accessControlAllowOrigin] = allowed
                headers[.accessControlAllowMethods] = "GET, HEAD, POST, OPTIONS"
                headers[.accessControlAllowHeaders] = request.headers[.accessControlRequestHeaders] ?? Self.allowedHeaders
                headers[.accessControlMaxAge] = "86400"
            }
            if !allowAny { headers[.vary] = "Origin" }
            return Response(status: .noContent, headers: headers)
        }
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        }
        if let allowed = allowedOrigin(origin) {
            response.headers[.accessControlAllowOrigin] = allowed
            response.headers[.accessControlExposeHeaders] = Self.exposedHeaders
            if !allowAny { response.headers[.vary] = "Origin" }
        }
        // A cross-origin-isolated viewer page (COEP require-corp) may load these responses.
        response.headers[HTTPField.Name("Cross-Origin-Resource-Policy")!] = "cross-origin"
        return response
    }
}

/// One log line per request: method, path, status, bytes known, milliseconds (no patient data:
/// query strings are left out, they may hold names).
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        do {
            let response = try await next(request, context)
            log(request, status: response.status.code, start: start)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            log(request, status: status, start: start)
            throw error
        }
    }

    private func log(_ request: Request, status: Int, start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        let ms = Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000
        logger.info("\(request.method) \(request.uri.path) \(status)",
                    metadata: ["ms": "\((ms * 10).rounded() / 10)"])
    }
}

import Logging
