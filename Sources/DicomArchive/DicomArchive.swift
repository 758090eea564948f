// DicomArchive: the index (SQLite by default) and the file store, each behind a protocol, and the
// one ingest path both servers use. Built by the receive/send issue; see docs/architecture.md.
import DicomCore

/// The module's version of the on-disk layout, checked when an archive is opened.
public enum DicomArchiveLayout {
    public static let version = 1
}
