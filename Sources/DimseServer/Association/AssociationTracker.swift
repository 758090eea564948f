// Counts open associations, in total and per calling AE title, for the limits of AssociationPolicy.
import Synchronization

/// Server-wide count of open associations; shared by every AssociationHandler of one listener.
public final class AssociationTracker: Sendable {
    private struct Counts {
        var total = 0
        var byCallingAE: [String: Int] = [:]
        var nextID = 0
    }
    private let counts = Mutex(Counts())

    public init() {}

    /// A new short id for log lines: "a1", "a2", …
    public func nextID() -> String {
        counts.withLock { c in
            c.nextID += 1
            return "a\(c.nextID)"
        }
    }

    /// Open associations now: in total and from `callingAE`.
    public func open(from callingAE: String) -> (total: Int, fromCallingAE: Int) {
        counts.withLock { ($0.total, $0.byCallingAE[callingAE, default: 0]) }
    }

    public var total: Int { counts.withLock { $0.total } }

    public func associationAccepted(from callingAE: String) {
        let open = counts.withLock { c in
            c.total += 1
            c.byCallingAE[callingAE, default: 0] += 1
            return c.total
        }
        DimseMetrics.openAssociations.record(open)
    }

    public func associationEnded(from callingAE: String) {
        let open = counts.withLock { c in
            c.total -= 1
            let n = c.byCallingAE[callingAE, default: 1] - 1
            c.byCallingAE[callingAE] = n > 0 ? n : nil
            return c.total
        }
        DimseMetrics.openAssociations.record(open)
    }
}
