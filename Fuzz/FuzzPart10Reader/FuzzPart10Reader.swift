// libFuzzer target: a whole Part 10 file (PS3.10 §7). A file that reads must encode and read
// again to the same value; converted to Explicit VR Little Endian (when it converts) it must
// encode and read back too. Build and run with `Fuzz/run.sh FuzzPart10Reader SECONDS`.
import DicomCore
import FuzzSupport

#if canImport(Glibc)
import Glibc
#endif

/// Writes `file`, reads the bytes again and traps unless the value is the same.
func roundTrip(_ file: DicomFile, _ what: String) {
    let bytes: [UInt8]
    do {
        bytes = try file.encoded()
    } catch {
        return  // Some values cannot be written back (e.g. > 64 KiB under a short VR).
    }
    let again: DicomFile
    do {
        again = try DicomFile.read(bytes: bytes)
    } catch {
        finding("\(what): the encoded file does not read back: \(error)")
    }
    // File Meta elements in the data set (a broken meta group left them there, PS3.10 §7.1 forbids
    // it) are written right after the meta group and read back as part of it: only check that
    // such a file reads back.
    if file.dataSet.elements.contains(where: { $0.tag.group == 0x0002 }) { return }
    if again.fileMetaInformation != file.fileMetaInformation {
        finding("\(what): File Meta differs\nfirst:  \(file.fileMetaInformation)\nsecond: \(again.fileMetaInformation)")
    }
    if again.transferSyntax != file.transferSyntax {
        finding("\(what): transfer syntax differs: \(file.transferSyntax) then \(again.transferSyntax)")
    }
    if again.dataSet != file.dataSet {
        finding("\(what): data set differs\nfirst:  \(file.dataSet)\nsecond: \(again.dataSet)")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let file: DicomFile
    do {
        file = try DicomFile.read(bytes: bytes, options: ReadOptions(maxInflatedSize: 64 << 20))
    } catch {
        return 0  // A DicomReadError: not a readable file.
    }
    roundTrip(file, "as read")
    if let converted = try? file.converted(to: .explicitVRLittleEndian) {
        roundTrip(converted, "converted to Explicit VR Little Endian")
    }
    return 0
}
