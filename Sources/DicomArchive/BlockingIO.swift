import Dispatch

/// Runs blocking file work (reads, fsync, rename) on a Dispatch queue instead of the cooperative
/// thread pool, so that one slow fsync does not stall other tasks on a 2-core machine.
enum BlockingIO {
    private static let queue = DispatchQueue(label: "dicomnode.archive.io", attributes: .concurrent)

    static func run<T: Sendable>(_ body: @escaping @Sendable () throws(ArchiveError) -> T) async throws(ArchiveError) -> T {
        let result: Result<T, ArchiveError> = await withCheckedContinuation { continuation in
            queue.async {
                do throws(ArchiveError) {
                    continuation.resume(returning: .success(try body()))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try result.get()
    }
}
