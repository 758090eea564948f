import Dispatch
import Foundation
import Synchronization

/// Runs blocking file work (reads, fsync, rename, the blocking group commit) on threads of its
/// own, never on the cooperative pool, so that a slow fsync does not stall other tasks.
///
/// Not on a Dispatch queue: libdispatch on Linux sizes its worker pool by core count and cannot
/// see that a worker is blocked in fsync(2) or waiting for the group commit, so on 2 cores eight
/// concurrent ingests ran two or three at a time. These threads block freely.
/// The HTTP gateway reads objects through it too.
public enum BlockingIO {
    /// Enough for the default association limit's ingests to be in their fsyncs at once.
    static let threadCount = 32
    private static let pool = BlockingThreadPool(threads: threadCount, name: "dicomnode-io")

    public static func run<T: Sendable>(_ body: @escaping @Sendable () throws(ArchiveError) -> T) async throws(ArchiveError) -> T {
        let result: Result<T, ArchiveError> = await withCheckedContinuation { continuation in
            pool.submit {
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

/// A fixed set of threads taking closures from one queue, first in first out.
final class BlockingThreadPool: Sendable {
    private let work = Mutex<[@Sendable () -> Void]>([])
    private let available = DispatchSemaphore(value: 0)

    init(threads: Int, name: String) {
        for i in 0..<max(threads, 1) {
            let thread = Thread { [self] in self.loop() }
            thread.name = "\(name)-\(i)"
            thread.start()
        }
    }

    func submit(_ body: @escaping @Sendable () -> Void) {
        work.withLock { $0.append(body) }
        available.signal()
    }

    private func loop() {
        while true {
            available.wait()
            let next = work.withLock { queue -> (@Sendable () -> Void)? in
                queue.isEmpty ? nil : queue.removeFirst()
            }
            next?()
        }
    }
}
