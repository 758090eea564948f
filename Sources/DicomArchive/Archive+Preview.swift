// The preview policy (issue 6): after an instance is stored, a lossy copy of it is made in the
// background, in the syntax the policy names for its modality, so that a low-bandwidth viewer
// asking for that syntax gets it at once instead of a transcode per request. The stored original
// stays authoritative and is never touched (PS3.5 §8.2: lossy compression is a derivation); the
// copy carries Lossy Image Compression "01" with its ratio and method (PS3.3 §C.7.6.1.1.5), as the
// transcoder sets them. Previews are not indexed and not made durable: they are rebuilt at will.
import DicomCore
import Logging

/// One preview at a time, at background priority, in arrival order; at most `capacity` waiting
/// (the oldest are dropped first when a burst of ingest outruns the encoder).
final class PreviewQueue: Sendable {
    struct Job: Sendable {
        var key: String
        var sopInstanceUID: String
        var syntax: String
    }

    private let stream: AsyncStream<Job>
    private let continuation: AsyncStream<Job>.Continuation

    init(capacity: Int = 100_000) {
        (stream, continuation) = AsyncStream.makeStream(of: Job.self, bufferingPolicy: .bufferingNewest(capacity))
    }

    /// Starts the worker; call once.
    func start(_ make: @escaping @Sendable (Job) async -> Void) {
        let stream = self.stream
        Task.detached(priority: .background) {
            for await job in stream { await make(job) }
        }
    }

    func submit(_ job: Job) { continuation.yield(job) }

    deinit { continuation.finish() }
}

extension Archive {
    /// Syntaxes a preview may be in: lossy ones only (a lossless copy would be no preview).
    public static let previewSyntaxes: Set<String> = [
        "1.2.840.10008.1.2.4.50",   // JPEG Baseline (8-bit)
        "1.2.840.10008.1.2.4.81",   // JPEG-LS near-lossless
        "1.2.840.10008.1.2.4.91",   // JPEG 2000 (lossy)
    ]

    /// The preview syntax for an instance of `modality` stored as `storedSyntax`, nil when the
    /// policy names none or the instance is already stored in it.
    func previewTarget(modality: String?, storedSyntax: String) -> String? {
        let policy = configuration.previewOnIngest
        guard !policy.isEmpty else { return nil }
        guard let target = modality.flatMap({ policy[$0] }) ?? policy["*"], target != storedSyntax,
              Self.previewSyntaxes.contains(target) else { return nil }
        return target
    }

    /// Queues the preview of the object just stored under `key`, when the policy wants one.
    func schedulePreview(_ a: InstanceAttributes, key: String) {
        guard let previews, let target = previewTarget(modality: a.modality, storedSyntax: a.transferSyntaxUID) else { return }
        previews.submit(.init(key: key, sopInstanceUID: a.sopInstanceUID, syntax: target))
    }

    /// Makes the preview of object `key` in `syntax` now (the background worker calls this).
    /// An object without Pixel Data gets none.
    /// - Throws: `.unreadable` when the object cannot be read or encoded in `syntax`, `.io`.
    public func makePreview(key: String, syntax: String) throws(ArchiveError) {
        let source = try store.open(key)
        let bytes: [UInt8]
        do {
            let file = try DicomFile.read(source: source)
            guard file.dataSet.contains(.pixelData) else { return }
            let options = EncodeOptions(quality: max(1, min(100, configuration.previewQuality)), nearLossless: 2)
            bytes = try Transcoder.transcode(file, to: TransferSyntax(uid: syntax), options: options).encoded()
        } catch {
            throw .unreadable("preview of \(key) in \(syntax): \(error)")
        }
        try store.writePreview(bytes, for: key)
    }

    /// The preview of `instance` as a Part 10 file, when there is one in `syntax` for this very
    /// instance (a preview left from a replaced object does not match its SOP Instance UID).
    public func preview(of instance: IndexedInstance, in syntax: String) -> [UInt8]? {
        guard let source = store.openPreview(for: instance.objectPath),
              let head = try? DicomFile.read(source: source, options: .headersOnly),
              head.transferSyntax.uid == syntax,
              head.dataSet.string(.sopInstanceUID) == instance.sopInstanceUID,
              let bytes = try? source.bytes(at: 0, count: Int(source.length))
        else { return nil }
        return bytes
    }

    func runPreview(_ job: PreviewQueue.Job) async {
        do {
            try await BlockingIO.run { () throws(ArchiveError) in try self.makePreview(key: job.key, syntax: job.syntax) }
        } catch {
            logger.notice("preview not made", metadata: ["sopInstanceUID": "\(job.sopInstanceUID)", "syntax": "\(job.syntax)",
                                                         "reason": "\(error)"])
        }
    }
}
