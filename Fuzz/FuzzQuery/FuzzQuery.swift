// libFuzzer target: a C-FIND identifier from the network — data set decoding in the context's
// syntax, the Query/Retrieve identifier rules (levels, keys, PS3.4 §C.2.2.2 matching values,
// character sets) and the SQL the index builds from it, run against a small index. Whatever
// arrives must give a query or a DIMSE failure status, never a trap; and every query the
// identifier rules accept must run on SQLite without an SQL error. Build and run with
// `Fuzz/run.sh FuzzQuery SECONDS`.
import DicomArchive
import DicomCore
@testable import DimseServer
import FuzzSupport
import Foundation

/// One index for the whole run, with a few rows so that row fetching is exercised too.
nonisolated(unsafe) let index: SQLiteIndex? = {
    let path = NSTemporaryDirectory() + "fuzzquery-\(getpid()).sqlite"
    return try? SQLiteIndex(path: path, durable: false)
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    guard let first = input.first else { return 0 }
    let syntax = first & 1 == 1 ? TransferSyntax.explicitVRLittleEndian.uid : TransferSyntax.implicitVRLittleEndian.uid
    let model: QueryRetrieveModel = first & 2 == 2 ? .studyRoot : .patientRoot
    guard let identifier = try? DimseDataSetCoding.decode(Array(input.dropFirst()), transferSyntax: syntax) else { return 0 }
    let parsed: IdentifierQuery
    do {
        parsed = try IdentifierQuery(identifier, model: model, personNameCaseInsensitive: first & 4 == 4, limit: 10)
    } catch {
        let category = error.dimseStatus.category
        if category != .failure { finding("identifier refused with a non-failure status \(error.dimseStatus)") }
        return 0
    }
    guard let index else { finding("no index"); return 0 }
    var query = parsed.query
    query.combineDateTime = first & 8 == 8
    let done = DispatchSemaphore(value: 0)
    Task {
        do {
            _ = try await index.find(query, pageSize: 4) { _ in true }
        } catch {
            finding("a query the identifier rules accepted failed on SQLite: \(error)")
        }
        done.signal()
    }
    done.wait()
    return 0
}
