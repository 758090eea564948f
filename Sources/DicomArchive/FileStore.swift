import DicomCore

/// Where instance files live. `LocalFileStore` keeps them under `ROOT/objects/`; an S3 store can
/// implement the same protocol later (staging stays local, `commit` uploads).
///
/// Objects are named by a key (for the local store, the path relative to the archive root, e.g.
/// `objects/ab/<sha256>.dcm`). Keys come from `key(for:)`, never from strings a peer sent.
public protocol FileStore: Sendable {
    /// A new, empty staging file.
    func makeStagingFile() throws(ArchiveError) -> StagingFile
    /// The key an instance is stored under. `avoiding`: a key already in use by the instance
    /// being replaced, so that the new file does not overwrite it before the index is committed.
    func key(for sopInstanceUID: String, avoiding: String?) -> String
    /// Makes a staged file the object `key`: fsync the file, rename it, fsync the directory
    /// (when the store is durable). Returns the object's size in bytes.
    func commit(_ staged: StagingFile, as key: String) throws(ArchiveError) -> Int
    /// The object's bytes, for reading.
    func open(_ key: String) throws(ArchiveError) -> any ByteSource
    /// A local path for the object, when the store has one.
    func localPath(_ key: String) -> String?
    /// The object's size, nil when it does not exist.
    func size(of key: String) throws(ArchiveError) -> Int?
    /// Removes the object; a missing object is not an error.
    func remove(_ key: String) throws(ArchiveError)
    /// Moves an object out of the way (unreadable or unwanted); returns where it went.
    func quarantine(_ key: String) throws(ArchiveError) -> String
    /// Every object key with its size.
    func allObjects() throws(ArchiveError) -> [String: Int]
    /// Removes staging files left by a previous run; returns how many.
    func removeStaleStagingFiles() throws(ArchiveError) -> Int

    // Previews (the preview policy): a lossy copy of an object, derived from it and rebuilt at
    // will, so written without fsync and never indexed.
    /// Stores `bytes` (a Part 10 file) as the preview of object `key`, replacing any.
    func writePreview(_ bytes: [UInt8], for key: String) throws(ArchiveError)
    /// The preview of object `key`, nil when there is none.
    func openPreview(for key: String) -> (any ByteSource)?
    /// Removes the preview of object `key`; a missing one is not an error.
    func removePreview(for key: String)
}
