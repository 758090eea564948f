// The node's configuration: embedded defaults, then a YAML file, then command-line flags.
// Every key is documented in docs/reference/configuration.md; the test suite checks that the
// document and this type list the same keys.
import DicomArchive
import DicomCore
import Foundation
import Yams

/// Everything `dicomnode serve` can be told. Keys in the file are snake_case.
struct NodeConfiguration: Codable, Equatable, Sendable {
    /// Our AE title (1–16 characters of the default repertoire, no backslash; PS3.5 Table 6.2-1 AE).
    var aeTitle = "DICOMNODE"
    var dimse = DIMSE()
    var http = HTTP()
    var storage = Storage()
    var remoteAEs: [RemoteAEEntry] = []
    var logging = Logging()
    var query = Query()
    var worklist = Worklist()
    var storageCommitment = StorageCommitment()
    /// Seconds running associations get to finish after SIGTERM/SIGINT.
    var shutdownTimeoutSeconds = 30

    struct DIMSE: Codable, Equatable, Sendable {
        var host = "0.0.0.0"
        var port = 11112
        var maxPDULength = 262_144
        var maxAssociations = 64
        var maxAssociationsPerCallingAE = 16
        var artimTimeoutSeconds = 30
        var idleTimeoutSeconds = 300
        var acceptAnyCalledAETitle = false
        /// Calling AE titles allowed to associate; empty means any.
        var allowedCallingAETitles: [String] = []

        enum CodingKeys: String, CodingKey, CaseIterable {
            case host, port
            case maxPDULength = "max_pdu_length"
            case maxAssociations = "max_associations"
            case maxAssociationsPerCallingAE = "max_associations_per_calling_ae"
            case artimTimeoutSeconds = "artim_timeout_seconds"
            case idleTimeoutSeconds = "idle_timeout_seconds"
            case acceptAnyCalledAETitle = "accept_any_called_ae_title"
            case allowedCallingAETitles = "allowed_calling_ae_titles"
        }

        init() {}
        init(from decoder: any Decoder) throws {
            let d = DIMSE(), c = try decoder.container(keyedBy: CodingKeys.self)
            host = try c.decodeIfPresent(String.self, forKey: .host) ?? d.host
            port = try c.decodeIfPresent(Int.self, forKey: .port) ?? d.port
            maxPDULength = try c.decodeIfPresent(Int.self, forKey: .maxPDULength) ?? d.maxPDULength
            maxAssociations = try c.decodeIfPresent(Int.self, forKey: .maxAssociations) ?? d.maxAssociations
            maxAssociationsPerCallingAE = try c.decodeIfPresent(Int.self, forKey: .maxAssociationsPerCallingAE) ?? d.maxAssociationsPerCallingAE
            artimTimeoutSeconds = try c.decodeIfPresent(Int.self, forKey: .artimTimeoutSeconds) ?? d.artimTimeoutSeconds
            idleTimeoutSeconds = try c.decodeIfPresent(Int.self, forKey: .idleTimeoutSeconds) ?? d.idleTimeoutSeconds
            acceptAnyCalledAETitle = try c.decodeIfPresent(Bool.self, forKey: .acceptAnyCalledAETitle) ?? d.acceptAnyCalledAETitle
            allowedCallingAETitles = try c.decodeIfPresent([String].self, forKey: .allowedCallingAETitles) ?? d.allowedCallingAETitles
        }
    }

    /// The DICOMweb gateway and REST API (PS3.18).
    struct HTTP: Codable, Equatable, Sendable {
        /// Serve HTTP at all.
        var enabled = true
        var host = "0.0.0.0"
        var port = 8080
        /// Where the DICOMweb resources live ("/dicom-web/studies"); "" for the root.
        var basePath = "/dicom-web"
        /// Browser origins allowed by CORS; ["*"] allows any.
        var corsAllowedOrigins = ["*"]
        /// The URL clients reach the node at (behind a reverse proxy), used in RetrieveURL and
        /// BulkDataURI; empty: from each request's Host header.
        var publicBaseURL = ""
        /// QIDO-RS results per request at most (and without `limit`).
        var maxResults = 1000
        enum CodingKeys: String, CodingKey, CaseIterable {
            case enabled, host, port
            case basePath = "base_path"
            case corsAllowedOrigins = "cors_allowed_origins"
            case publicBaseURL = "public_base_url"
            case maxResults = "max_results"
        }

        init() {}
        init(from decoder: any Decoder) throws {
            let d = HTTP(), c = try decoder.container(keyedBy: CodingKeys.self)
            enabled = try c.decodeIfPresent(Bool.self, forKey: .enabled) ?? d.enabled
            host = try c.decodeIfPresent(String.self, forKey: .host) ?? d.host
            port = try c.decodeIfPresent(Int.self, forKey: .port) ?? d.port
            basePath = try c.decodeIfPresent(String.self, forKey: .basePath) ?? d.basePath
            corsAllowedOrigins = try c.decodeIfPresent([String].self, forKey: .corsAllowedOrigins) ?? d.corsAllowedOrigins
            publicBaseURL = try c.decodeIfPresent(String.self, forKey: .publicBaseURL) ?? d.publicBaseURL
            maxResults = try c.decodeIfPresent(Int.self, forKey: .maxResults) ?? d.maxResults
        }
    }

    struct Storage: Codable, Equatable, Sendable {
        var dataDirectory = "./dicomnode-data"
        var duplicatePolicy: DuplicatePolicy = .keepFirst
        var identityConflictPolicy: IdentityConflictPolicy = .accept
        /// Modality → lossless syntax (name or UID) for instances received uncompressed; "*" for
        /// any other modality. Empty: stored as received.
        var compressOnIngest: [String: String] = [:]
        /// Modality → lossy syntax (name or UID) of a preview copy made after ingest; "*" for any
        /// other modality. Empty: no previews.
        var previewOnIngest: [String: String] = [:]
        var previewQuality = 85
        enum CodingKeys: String, CodingKey, CaseIterable {
            case dataDirectory = "data_directory"
            case duplicatePolicy = "duplicate_policy"
            case identityConflictPolicy = "identity_conflict_policy"
            case compressOnIngest = "compress_on_ingest"
            case previewOnIngest = "preview_on_ingest"
            case previewQuality = "preview_quality"
        }

        init() {}
        init(from decoder: any Decoder) throws {
            let d = Storage(), c = try decoder.container(keyedBy: CodingKeys.self)
            dataDirectory = try c.decodeIfPresent(String.self, forKey: .dataDirectory) ?? d.dataDirectory
            duplicatePolicy = try c.decodeIfPresent(DuplicatePolicy.self, forKey: .duplicatePolicy) ?? d.duplicatePolicy
            identityConflictPolicy = try c.decodeIfPresent(IdentityConflictPolicy.self, forKey: .identityConflictPolicy)
                ?? d.identityConflictPolicy
            compressOnIngest = try c.decodeIfPresent([String: String].self, forKey: .compressOnIngest) ?? d.compressOnIngest
            previewOnIngest = try c.decodeIfPresent([String: String].self, forKey: .previewOnIngest) ?? d.previewOnIngest
            previewQuality = try c.decodeIfPresent(Int.self, forKey: .previewQuality) ?? d.previewQuality
        }
    }

    struct RemoteAEEntry: Codable, Equatable, Sendable {
        var aeTitle: String
        var host: String
        var port: Int
        enum CodingKeys: String, CodingKey, CaseIterable {
            case aeTitle = "ae_title"
            case host, port
        }
    }

    /// C-FIND (and later QIDO-RS) behaviour.
    struct Query: Codable, Equatable, Sendable {
        /// PS3.4 §C.2.2.2.1: match Person Names ignoring case.
        var personNameCaseInsensitive = true
        /// At most this many matches per query; 0 = no limit. More end with status A700.
        var resultLimit = 0
        enum CodingKeys: String, CodingKey, CaseIterable {
            case personNameCaseInsensitive = "person_name_case_insensitive"
            case resultLimit = "result_limit"
        }

        init() {}
        init(from decoder: any Decoder) throws {
            let d = Query(), c = try decoder.container(keyedBy: CodingKeys.self)
            personNameCaseInsensitive = try c.decodeIfPresent(Bool.self, forKey: .personNameCaseInsensitive) ?? d.personNameCaseInsensitive
            resultLimit = try c.decodeIfPresent(Int.self, forKey: .resultLimit) ?? d.resultLimit
        }
    }

    /// Modality Worklist, MPPS and the HL7 order interface (PS3.4 Annexes K and F).
    struct Worklist: Codable, Equatable, Sendable {
        /// Offer the Modality Worklist FIND and MPPS SOP classes.
        var enabled = true
        var hl7Host = "0.0.0.0"
        /// MLLP port for HL7 v2 ORM^O01 orders; 0 = no HL7 listener.
        var hl7Port = 0
        /// COMPLETED/DISCONTINUED entries are removed this many hours after their last change (0 = never).
        var expireAfterHours = 24.0
        enum CodingKeys: String, CodingKey, CaseIterable {
            case enabled
            case hl7Host = "hl7_host"
            case hl7Port = "hl7_port"
            case expireAfterHours = "expire_after_hours"
        }

        init() {}
        init(from decoder: any Decoder) throws {
            let d = Worklist(), c = try decoder.container(keyedBy: CodingKeys.self)
            enabled = try c.decodeIfPresent(Bool.self, forKey: .enabled) ?? d.enabled
            hl7Host = try c.decodeIfPresent(String.self, forKey: .hl7Host) ?? d.hl7Host
            hl7Port = try c.decodeIfPresent(Int.self, forKey: .hl7Port) ?? d.hl7Port
            expireAfterHours = try c.decodeIfPresent(Double.self, forKey: .expireAfterHours) ?? d.expireAfterHours
        }
    }

    /// Storage Commitment Push Model SCP (PS3.4 Annex J): where the N-EVENT-REPORT goes.
    struct StorageCommitment: Codable, Equatable, Sendable {
        /// "same": on the N-ACTION's association, a new one when that fails; "new": always a new
        /// association to the requestor (which must be in remote_aes).
        var reportAssociation = "same"
        var reportTimeoutSeconds = 30
        var reportRetries = 3
        var reportRetryIntervalSeconds = 10
        enum CodingKeys: String, CodingKey, CaseIterable {
            case reportAssociation = "report_association"
            case reportTimeoutSeconds = "report_timeout_seconds"
            case reportRetries = "report_retries"
            case reportRetryIntervalSeconds = "report_retry_interval_seconds"
        }

        init() {}
        init(from decoder: any Decoder) throws {
            let d = StorageCommitment(), c = try decoder.container(keyedBy: CodingKeys.self)
            reportAssociation = try c.decodeIfPresent(String.self, forKey: .reportAssociation) ?? d.reportAssociation
            reportTimeoutSeconds = try c.decodeIfPresent(Int.self, forKey: .reportTimeoutSeconds) ?? d.reportTimeoutSeconds
            reportRetries = try c.decodeIfPresent(Int.self, forKey: .reportRetries) ?? d.reportRetries
            reportRetryIntervalSeconds = try c.decodeIfPresent(Int.self, forKey: .reportRetryIntervalSeconds) ?? d.reportRetryIntervalSeconds
        }
    }

    struct Logging: Codable, Equatable, Sendable {
        /// trace, debug, info, notice, warning, error, critical
        var level = "info"
        enum CodingKeys: String, CodingKey, CaseIterable { case level }

        init() {}
        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            level = try c.decodeIfPresent(String.self, forKey: .level) ?? Logging().level
        }
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case aeTitle = "ae_title"
        case dimse, http, storage
        case remoteAEs = "remote_aes"
        case logging, query, worklist
        case storageCommitment = "storage_commitment"
        case shutdownTimeoutSeconds = "shutdown_timeout_seconds"
    }

    init() {}

    // Missing keys keep their defaults: a file sets only what it changes.
    init(from decoder: any Decoder) throws {
        let d = NodeConfiguration()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        aeTitle = try c.decodeIfPresent(String.self, forKey: .aeTitle) ?? d.aeTitle
        dimse = try c.decodeIfPresent(DIMSE.self, forKey: .dimse) ?? d.dimse
        http = try c.decodeIfPresent(HTTP.self, forKey: .http) ?? d.http
        storage = try c.decodeIfPresent(Storage.self, forKey: .storage) ?? d.storage
        remoteAEs = try c.decodeIfPresent([RemoteAEEntry].self, forKey: .remoteAEs) ?? d.remoteAEs
        logging = try c.decodeIfPresent(Logging.self, forKey: .logging) ?? d.logging
        query = try c.decodeIfPresent(Query.self, forKey: .query) ?? d.query
        worklist = try c.decodeIfPresent(Worklist.self, forKey: .worklist) ?? d.worklist
        storageCommitment = try c.decodeIfPresent(StorageCommitment.self, forKey: .storageCommitment) ?? d.storageCommitment
        shutdownTimeoutSeconds = try c.decodeIfPresent(Int.self, forKey: .shutdownTimeoutSeconds) ?? d.shutdownTimeoutSeconds
    }

    /// Every key a file may hold, dotted ("dimse.port", "remote_aes[].host"), for the docs check
    /// and for refusing misspelt keys.
    static var allKeys: [String] {
        var keys: [String] = []
        for k in CodingKeys.allCases {
            switch k {
            case .dimse: keys += DIMSE.CodingKeys.allCases.map { "dimse.\($0.rawValue)" }
            case .http: keys += HTTP.CodingKeys.allCases.map { "http.\($0.rawValue)" }
            case .storage: keys += Storage.CodingKeys.allCases.map { "storage.\($0.rawValue)" }
            case .remoteAEs: keys += RemoteAEEntry.CodingKeys.allCases.map { "remote_aes[].\($0.rawValue)" }
            case .logging: keys += Logging.CodingKeys.allCases.map { "logging.\($0.rawValue)" }
            case .query: keys += Query.CodingKeys.allCases.map { "query.\($0.rawValue)" }
            case .worklist: keys += Worklist.CodingKeys.allCases.map { "worklist.\($0.rawValue)" }
            case .storageCommitment: keys += StorageCommitment.CodingKeys.allCases.map { "storage_commitment.\($0.rawValue)" }
            default: keys.append(k.rawValue)
            }
        }
        return keys
    }

    /// Reads the YAML file at `path` over the defaults.
    /// - Throws: `ConfigurationError` when the file cannot be read or is not valid.
    static func load(path: String) throws -> NodeConfiguration {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ConfigurationError("cannot read configuration file \(path)")
        }
        return try load(yaml: text, source: path)
    }

    /// The archive's settings from the `storage` section.
    var archiveConfiguration: ArchiveConfiguration {
        var c = ArchiveConfiguration(root: storage.dataDirectory, duplicatePolicy: storage.duplicatePolicy,
                                     identityConflictPolicy: storage.identityConflictPolicy)
        c.ingestCompression = storage.compressOnIngest.compactMapValues { TransferSyntaxArgument(argument: $0)?.syntax.uid }
        c.previewOnIngest = storage.previewOnIngest.compactMapValues { TransferSyntaxArgument(argument: $0)?.syntax.uid }
        c.previewQuality = storage.previewQuality
        return c
    }

    /// Reads a YAML file over the defaults.
    /// - Throws: `ConfigurationError` naming the file and the key or line at fault.
    static func load(yaml text: String, source: String) throws -> NodeConfiguration {
        let node: Any?
        do { node = try Yams.load(yaml: text) } catch { throw ConfigurationError("\(source): not valid YAML: \(error)") }
        guard let node else { return NodeConfiguration() }  // an empty file
        guard node is [String: Any] else { throw ConfigurationError("\(source): the top level must be a mapping of keys") }
        let unknown = unknownKeys(in: node, prefix: "")
        if !unknown.isEmpty {
            throw ConfigurationError("\(source): unknown key(s) \(unknown.joined(separator: ", ")) (see docs/reference/configuration.md)")
        }
        var config: NodeConfiguration
        do { config = try YAMLDecoder().decode(NodeConfiguration.self, from: text) } catch {
            throw ConfigurationError("\(source): \(Self.describe(error))")
        }
        try config.validate(source: source)
        return config
    }

    private static func unknownKeys(in node: Any, prefix: String) -> [String] {
        let known = Set(allKeys)
        var out: [String] = []
        if let map = node as? [String: Any] {
            for (k, v) in map {
                let path = prefix.isEmpty ? k : "\(prefix).\(k)"
                if known.contains(path) { continue }
                if known.contains(where: { $0.hasPrefix(path + ".") || $0.hasPrefix(path + "[].") }) {
                    out += unknownKeys(in: v, prefix: known.contains(where: { $0.hasPrefix(path + "[].") }) ? path + "[]" : path)
                } else {
                    out.append(path)
                }
            }
        } else if let list = node as? [Any] {
            for item in list { out += unknownKeys(in: item, prefix: prefix) }
        }
        return out.sorted()
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.typeMismatch(let type, let ctx), DecodingError.valueNotFound(let type, let ctx):
            return "\(ctx.codingPath.map(\.stringValue).joined(separator: ".")): expected \(type)"
        case DecodingError.dataCorrupted(let ctx):
            return "\(ctx.codingPath.map(\.stringValue).joined(separator: ".")): \(ctx.debugDescription)"
        case DecodingError.keyNotFound(let key, let ctx):
            return "\((ctx.codingPath + [key]).map(\.stringValue).joined(separator: ".")): missing"
        default:
            return "\(error)"
        }
    }

    /// Checks values a file or a flag can get wrong.
    func validate(source: String) throws {
        func check(_ ok: Bool, _ message: String) throws {
            if !ok { throw ConfigurationError("\(source): \(message)") }
        }
        try check(Self.isValidAETitle(aeTitle), "ae_title \"\(aeTitle)\" must be 1–16 characters, no backslash or control characters")
        try check((1...65535).contains(dimse.port), "dimse.port \(dimse.port) is not a TCP port")
        for (modality, name) in storage.compressOnIngest {
            // The lossless original stays authoritative (issue 6): only lossless targets.
            guard let syntax = TransferSyntaxArgument(argument: name)?.syntax else {
                throw ConfigurationError("\(source): storage.compress_on_ingest.\(modality): \"\(name)\" is not a transfer syntax")
            }
            try check(syntax.isEncapsulated && !["1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.81"].contains(syntax.uid)
                      && CodecRegistry.codecs.contains { $0.transferSyntaxUIDs.contains(syntax.uid) },
                      "storage.compress_on_ingest.\(modality): \(syntax.name) is not a lossless syntax this node encodes "
                      + "(rle, jpeg-lossless, sv1, jpeg-ls, j2k, htj2k, htj2k-rpcl)")
        }
        for (modality, name) in storage.previewOnIngest {
            let uid = TransferSyntaxArgument(argument: name)?.syntax.uid
            try check(uid.map { Archive.previewSyntaxes.contains($0) } ?? false,
                      "storage.preview_on_ingest.\(modality): \"\(name)\" is not a lossy syntax for previews (jpeg-baseline, jpeg-ls-near, j2k-lossy)")
        }
        try check((1...100).contains(storage.previewQuality), "storage.preview_quality must be 1–100")
        try check((1...65535).contains(http.port), "http.port \(http.port) is not a TCP port")
        try check(http.basePath.isEmpty || (http.basePath.hasPrefix("/") && !http.basePath.contains("..")
                                             && http.basePath.allSatisfy { $0.isASCII && !$0.isWhitespace && $0 != "?" && $0 != "#" }),
                  "http.base_path \"\(http.basePath)\" must be empty or a path starting with /")
        try check(http.maxResults >= 1, "http.max_results must be at least 1")
        try check((0...65535).contains(worklist.hl7Port), "worklist.hl7_port \(worklist.hl7Port) is not a TCP port (0 = off)")
        try check(worklist.expireAfterHours >= 0, "worklist.expire_after_hours must be 0 or more")
        try check(["same", "new"].contains(storageCommitment.reportAssociation),
                  "storage_commitment.report_association \"\(storageCommitment.reportAssociation)\" is not one of same, new")
        try check(storageCommitment.reportTimeoutSeconds >= 1, "storage_commitment.report_timeout_seconds must be at least 1")
        try check(storageCommitment.reportRetries >= 0, "storage_commitment.report_retries must not be negative")
        try check(storageCommitment.reportRetryIntervalSeconds >= 0, "storage_commitment.report_retry_interval_seconds must not be negative")
        // PS3.8 §D.1: a receiver's maximum length; below 4 KiB only wastes PDUs, above 16 MiB only wastes memory.
        try check((4096...16_777_216).contains(dimse.maxPDULength), "dimse.max_pdu_length must be 4096–16777216")
        try check(dimse.maxAssociations >= 1, "dimse.max_associations must be at least 1")
        try check(dimse.maxAssociationsPerCallingAE >= 1, "dimse.max_associations_per_calling_ae must be at least 1")
        try check(dimse.artimTimeoutSeconds >= 1, "dimse.artim_timeout_seconds must be at least 1")
        try check(dimse.idleTimeoutSeconds >= 1, "dimse.idle_timeout_seconds must be at least 1")
        try check(shutdownTimeoutSeconds >= 0, "shutdown_timeout_seconds must not be negative")
        try check(!storage.dataDirectory.isEmpty, "storage.data_directory must not be empty")
        try check(["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(logging.level),
                  "logging.level \"\(logging.level)\" is not one of trace, debug, info, notice, warning, error, critical")
        for r in remoteAEs {
            try check(Self.isValidAETitle(r.aeTitle), "remote_aes: AE title \"\(r.aeTitle)\" is not valid")
            try check((1...65535).contains(r.port), "remote_aes: \(r.aeTitle) port \(r.port) is not a TCP port")
        }
        for t in dimse.allowedCallingAETitles {
            try check(Self.isValidAETitle(t), "dimse.allowed_calling_ae_titles: \"\(t)\" is not a valid AE title")
        }
    }

    static func isValidAETitle(_ s: String) -> Bool {
        let t = s.trimmingCharacters(in: .whitespaces)
        return !t.isEmpty && s.utf8.count <= 16 && s.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F && $0 != 0x5C }
    }
}

struct ConfigurationError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
