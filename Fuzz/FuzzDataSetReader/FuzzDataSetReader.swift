// libFuzzer target: a raw data set (PS3.5 §7) read in each of the three uncompressed encodings.
// A data set that reads must write back (`.exact`) and read again to the same value.
// Build and run with `Fuzz/run.sh FuzzDataSetReader SECONDS` (see docs/fuzzing.md).
import DicomCore
import FuzzSupport

#if canImport(Glibc)
import Glibc
#endif

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    for declared in [DataSetEncoding.implicitLittle, .explicitLittle, .explicitBig] {
        let read: (dataSet: DataSet, encoding: DataSetEncoding)
        do {
            read = try DataSetReader(source: MemoryByteSource(bytes)).readDetectingEncoding(declared)
        } catch {
            continue  // A DicomReadError: the input is not a data set in this encoding.
        }
        // Write in the encoding the reader found (it follows the first element when the declared one is wrong).
        let written: [UInt8]
        do {
            written = try DataSetWriter(encoding: read.encoding, options: .exact).encode(read.dataSet)
        } catch {
            continue  // Some values cannot be written back in this encoding (e.g. > 64 KiB under a short VR).
        }
        let again: DataSet
        do {
            again = try DataSetReader(source: MemoryByteSource(written)).read(encoding: read.encoding)
        } catch {
            finding("declared \(declared), found \(read.encoding): the written data set does not read back: \(error)")
        }
        if again != read.dataSet {
            finding("declared \(declared), found \(read.encoding): the data set read back differs\n"
                + "first read:  \(read.dataSet)\nsecond read: \(again)")
        }
    }
    return 0
}
