import Foundation
import COpenJPEG

// Memory streams and message handlers for OpenJPEG: it reads and writes through callbacks, and by
// default prints its errors to nowhere; these record them so a CodecError can say what went wrong.

/// The bytes OpenJPEG reads from (a whole codestream in memory).
final class OpenJPEGInput {
    let base: UnsafePointer<UInt8>
    let count: Int
    var position = 0
    init(base: UnsafePointer<UInt8>, count: Int) {
        self.base = base
        self.count = count
    }

    /// A read stream over this input; the caller keeps `self` alive until the stream is destroyed.
    func makeStream() -> UnsafeMutablePointer<opj_stream_t?>? {
        // OpenJPEG's own chunk size (OPJ_J2K_STREAM_CHUNK_SIZE): a 1 MiB buffer is mmapped with
        // slack after it, which a stray over-read of a corrupt stream lands in.
        guard let stream = opj_stream_create(1 << 20, 1) else { return nil }
        opj_stream_set_user_data(stream, Unmanaged.passUnretained(self).toOpaque(), nil)
        opj_stream_set_user_data_length(stream, UInt64(count))
        opj_stream_set_read_function(stream) { buffer, n, user in
            guard let buffer, let user else { return OPJ_SIZE_T.max }
            let me = Unmanaged<OpenJPEGInput>.fromOpaque(user).takeUnretainedValue()
            let left = me.count - me.position
            guard left > 0 else { return OPJ_SIZE_T.max }   // (OPJ_SIZE_T)-1: end of stream
            let k = min(Int(n), left)
            buffer.copyMemory(from: me.base + me.position, byteCount: k)
            me.position += k
            return OPJ_SIZE_T(k)
        }
        opj_stream_set_skip_function(stream) { n, user in
            guard let user else { return -1 }
            let me = Unmanaged<OpenJPEGInput>.fromOpaque(user).takeUnretainedValue()
            let target = min(max(0, me.position + Int(n)), me.count)
            let skipped = target - me.position
            me.position = target
            return OPJ_OFF_T(skipped)
        }
        opj_stream_set_seek_function(stream) { n, user in
            guard let user else { return 0 }
            let me = Unmanaged<OpenJPEGInput>.fromOpaque(user).takeUnretainedValue()
            guard n >= 0, Int(n) <= me.count else { return 0 }
            me.position = Int(n)
            return 1
        }
        return stream
    }
}

/// The bytes OpenJPEG writes (a codestream being encoded).
final class OpenJPEGOutput {
    var bytes: [UInt8] = []
    var position = 0

    func makeStream() -> UnsafeMutablePointer<opj_stream_t?>? {
        guard let stream = opj_stream_create(1 << 16, 0) else { return nil }
        opj_stream_set_user_data(stream, Unmanaged.passUnretained(self).toOpaque(), nil)
        opj_stream_set_write_function(stream) { buffer, n, user in
            guard let buffer, let user else { return OPJ_SIZE_T.max }
            let me = Unmanaged<OpenJPEGOutput>.fromOpaque(user).takeUnretainedValue()
            let k = Int(n)
            let end = me.position + k
            if end > me.bytes.count { me.bytes.append(contentsOf: repeatElement(0, count: end - me.bytes.count)) }
            me.bytes.withUnsafeMutableBytes { dst in
                (dst.baseAddress! + me.position).copyMemory(from: buffer, byteCount: k)
            }
            me.position = end
            return n
        }
        opj_stream_set_skip_function(stream) { n, user in
            guard let user else { return -1 }
            let me = Unmanaged<OpenJPEGOutput>.fromOpaque(user).takeUnretainedValue()
            let target = me.position + Int(n)
            guard target >= 0 else { return -1 }
            if target > me.bytes.count { me.bytes.append(contentsOf: repeatElement(0, count: target - me.bytes.count)) }
            me.position = target
            return n
        }
        opj_stream_set_seek_function(stream) { n, user in
            guard let user, n >= 0 else { return 0 }
            let me = Unmanaged<OpenJPEGOutput>.fromOpaque(user).takeUnretainedValue()
            if Int(n) > me.bytes.count { me.bytes.append(contentsOf: repeatElement(0, count: Int(n) - me.bytes.count)) }
            me.position = Int(n)
            return 1
        }
        return stream
    }
}

/// Records OpenJPEG's error and warning messages for one codec instance.
final class OpenJPEGMessages {
    var errors: [String] = []
    var warnings: [String] = []

    func install(on codec: UnsafeMutablePointer<opj_codec_t?>) {
        let me = Unmanaged.passUnretained(self).toOpaque()
        opj_set_error_handler(codec, { msg, user in
            guard let msg, let user else { return }
            let box = Unmanaged<OpenJPEGMessages>.fromOpaque(user).takeUnretainedValue()
            if box.errors.count < 8 { box.errors.append(String(cString: msg).trimmingCharacters(in: .whitespacesAndNewlines)) }
        }, me)
        opj_set_warning_handler(codec, { msg, user in
            guard let msg, let user else { return }
            let box = Unmanaged<OpenJPEGMessages>.fromOpaque(user).takeUnretainedValue()
            if box.warnings.count < 8 { box.warnings.append(String(cString: msg).trimmingCharacters(in: .whitespacesAndNewlines)) }
        }, me)
        opj_set_info_handler(codec, { _, _ in }, nil)
    }

    func text(_ step: String) -> String {
        "OpenJPEG \(step) failed" + (errors.isEmpty ? "" : ": " + errors.joined(separator: "; "))
    }
}
