// PS3.4 §J.3.3: the Storage Commitment SCP may send its N-EVENT-REPORT on an association other
// than the one that carried the N-ACTION. It then opens that association itself, to the
// requestor's configured address, and proposes SCP/SCU Role Selection (PS3.7 §D.3.3.4) with
// the SCP role for the Storage Commitment Push Model SOP Class: on that association we are the
// requestor but still the Storage Commitment SCP, the peer the SCU that receives the report.
import DicomCore
import Logging

/// How the Storage Commitment SCP delivers its results.
public struct StorageCommitmentSettings: Sendable {
    /// Where the N-EVENT-REPORT goes first.
    public enum ReportAssociation: String, Sendable, CaseIterable {
        /// On the N-ACTION's association, right after the N-ACTION response; on a new
        /// association when that one is gone or the report is not answered in time.
        case same
        /// Always on a new association, once the N-ACTION response has been sent (the requestor
        /// may release its association meanwhile); on the same one when the requestor is not a
        /// configured remote AE.
        case new
    }

    public var reportAssociation: ReportAssociation = .same
    /// How long to wait for the N-EVENT-REPORT-RSP, on either association.
    public var reportTimeout: Duration = .seconds(30)
    /// Further attempts on a new association after the first one failed.
    public var retries = 3
    public var retryInterval: Duration = .seconds(10)
    /// Our AE title, the calling AE title of the report's association.
    public var aeTitle: String
    /// The configured remote AE for a calling AE title, nil when unknown.
    public var remote: @Sendable (String) -> RemoteAE?

    public init(aeTitle: String, remote: @escaping @Sendable (String) -> RemoteAE? = { _ in nil }) {
        self.aeTitle = aeTitle
        self.remote = remote
    }
}

/// One report to deliver: the N-EVENT-REPORT's Event Type ID and Event Information.
public struct StorageCommitmentReport: Sendable {
    public var transactionUID: String
    /// 1: all instances committed; 2: some failed (PS3.4 §J.3.3).
    public var eventTypeID: UInt16
    public var eventInformation: DataSet
}

/// Delivers reports on new associations, in the background, with retries. Reports waiting here
/// live in memory only: after a restart the requestor has to ask again (PS3.4 §J.3.1 lets it
/// repeat the N-ACTION with the same Transaction UID).
public final class StorageCommitmentReporter: Sendable {
    let settings: StorageCommitmentSettings
    let logger: Logger

    public init(settings: StorageCommitmentSettings, logger: Logger = Logger(label: "dicomnode.stgcmt")) {
        self.settings = settings
        self.logger = logger
    }

    /// Starts delivering `report` to `remote` and returns at once.
    public func submit(_ report: StorageCommitmentReport, to remote: RemoteAE) {
        Task { await self.deliver(report, to: remote) }
    }

    /// Delivers `report` to `remote`: up to 1 + `retries` attempts.
    /// - Returns: the peer's status, or nil when every attempt failed.
    @discardableResult
    public func deliver(_ report: StorageCommitmentReport, to remote: RemoteAE) async -> DimseStatus? {
        let attempts = 1 + max(0, settings.retries)
        for attempt in 1...attempts {
            do {
                let status = try await deliverOnce(report, to: remote)
                logger.info("storage commitment: N-EVENT-REPORT on a new association answered \(String(status.rawValue, radix: 16))",
                            metadata: ["remote": "\(remote)", "transaction": "\(report.transactionUID)", "attempt": "\(attempt)"])
                return status
            } catch {
                logger.notice("storage commitment: N-EVENT-REPORT to \(remote) not delivered (attempt \(attempt) of \(attempts)): \(error)",
                              metadata: ["transaction": "\(report.transactionUID)"])
            }
            if attempt < attempts {
                do { try await Task.sleep(for: settings.retryInterval) } catch { break }
            }
        }
        logger.warning("storage commitment: report for transaction \(report.transactionUID) to \(remote) given up")
        return nil
    }

    private func deliverOnce(_ report: StorageCommitmentReport, to remote: RemoteAE) async throws -> DimseStatus {
        let sopClass = StorageCommitmentProvider.sopClassUID
        let association = try await DimseAssociation.open(
            to: remote, callingAETitle: settings.aeTitle,
            contexts: [ProposedContext(abstractSyntax: sopClass,
                                       transferSyntaxes: [UID.explicitVRLittleEndian, UID.implicitVRLittleEndian])],
            responseTimeout: settings.reportTimeout,
            roleSelections: [RoleSelection(sopClassUID: sopClass, scuRole: false, scpRole: true)])
        // PS3.7 §D.3.3.4: without the acceptor's consent to our SCP role the default roles hold.
        // Receivers that leave the item out of their A-ASSOCIATE-AC are common; they get the report
        // anyway, and the log says so.
        if !association.acceptedRoles.contains(where: { $0.sopClassUID == sopClass && $0.scpRole }) {
            logger.notice("storage commitment: \(remote) did not confirm our SCP role; sending the report anyway")
        }
        do {
            let status = try await association.eventReport(
                sopClassUID: sopClass, sopInstanceUID: StorageCommitmentProvider.wellKnownInstanceUID,
                eventTypeID: report.eventTypeID, eventInformation: report.eventInformation)
            do { try await association.release() } catch { await association.abort() }
            return status
        } catch {
            await association.abort()
            throw error
        }
    }
}
