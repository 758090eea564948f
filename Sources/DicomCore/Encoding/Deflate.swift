import CZlib

/// Deflate for the Deflated Explicit VR Little Endian transfer syntax (PS3.5 §A.5): raw deflate
/// (RFC 1951, no zlib header) of everything after the File Meta group.
public enum Deflate {
    public enum Failure: Error, Equatable, Sendable {
        case corrupt(String)
        case tooLarge(limit: Int)
    }

    /// Inflates raw deflate data; accepts a zlib-wrapped stream too (some writers add the header).
    public static func inflate(_ input: [UInt8], limit: Int) throws(Failure) -> [UInt8] {
        do {
            return try inflate(input, windowBits: -MAX_WBITS, limit: limit)
        } catch .corrupt(let why) {
            if let zlib = try? inflate(input, windowBits: MAX_WBITS, limit: limit) { return zlib }
            throw .corrupt(why)
        }
    }

    static func inflate(_ input: [UInt8], windowBits: Int32, limit: Int) throws(Failure) -> [UInt8] {
        var stream = z_stream()
        guard inflateInit2_(&stream, windowBits, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw .corrupt("inflateInit failed")
        }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        output.reserveCapacity(min(limit, max(input.count * 4, 4096)))
        var chunk = [UInt8](repeating: 0, count: 256 * 1024)
        var status: Int32 = Z_OK
        var input = input
        let inputCount = input.count
        input.withUnsafeMutableBufferPointer { inp in
            stream.next_in = inp.baseAddress
            stream.avail_in = uInt(inputCount)
            repeat {
                chunk.withUnsafeMutableBufferPointer { out in
                    stream.next_out = out.baseAddress
                    stream.avail_out = uInt(out.count)
                    status = CZlib.inflate(&stream, Z_NO_FLUSH)
                    let produced = out.count - Int(stream.avail_out)
                    if output.count + produced > limit {
                        status = Z_MEM_ERROR
                        return
                    }
                    output.append(contentsOf: out[0..<produced])
                }
            } while status == Z_OK && (stream.avail_in > 0 || stream.avail_out == 0)
        }
        if status == Z_MEM_ERROR && output.count >= limit - chunk.count { throw .tooLarge(limit: limit) }
        // Z_BUF_ERROR with all input consumed: a stream without its final block; keep what inflated.
        guard status == Z_STREAM_END || (status == Z_BUF_ERROR && stream.avail_in == 0) || (status == Z_OK && stream.avail_in == 0) else {
            let msg = stream.msg.map { String(cString: $0) } ?? "status \(status)"
            throw .corrupt(msg)
        }
        return output
    }

    /// Raw deflate (no header), PS3.5 §A.5.
    public static func deflate(_ input: [UInt8], level: Int32 = Z_DEFAULT_COMPRESSION) -> [UInt8] {
        deflate(input, level: level, windowBits: -MAX_WBITS)
    }

    /// A gzip member (RFC 1952), for HTTP `Content-Encoding: gzip`.
    public static func gzip(_ input: [UInt8], level: Int32 = 6) -> [UInt8] {
        deflate(input, level: level, windowBits: MAX_WBITS + 16)
    }

    static func deflate(_ input: [UInt8], level: Int32, windowBits: Int32) -> [UInt8] {
        var stream = z_stream()
        guard deflateInit2_(&stream, level, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
                            Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return [] }
        defer { deflateEnd(&stream) }
        var input = input
        let bound = Int(deflateBound(&stream, uLong(input.count)))
        var output = [UInt8](repeating: 0, count: bound)
        let inputCount = input.count
        var produced = 0
        input.withUnsafeMutableBufferPointer { inp in
            output.withUnsafeMutableBufferPointer { out in
                stream.next_in = inp.baseAddress
                stream.avail_in = uInt(inputCount)
                stream.next_out = out.baseAddress
                stream.avail_out = uInt(bound)
                _ = CZlib.deflate(&stream, Z_FINISH)
                produced = bound - Int(stream.avail_out)
            }
        }
        output.removeSubrange(produced...)
        return output
    }

    /// The deflated data set as a Part 10 file or a C-STORE carries it: raw deflate with one NUL
    /// byte appended when the stream's length is odd, as DCMTK writes it, since DICOM streams
    /// and PDV fragments have even length (PS3.5 §A.5, PS3.8 Annex E); inflate stops at the end
    /// of the deflate stream and ignores the pad.
    public static func deflateEvenLength(_ input: [UInt8], level: Int32 = Z_DEFAULT_COMPRESSION) -> [UInt8] {
        var out = deflate(input, level: level)
        if out.count % 2 == 1 { out.append(0) }
        return out
    }
}
