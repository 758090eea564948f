// C-FIND / QIDO-RS matching on the SQLite index: PS3.4 §C.2.2.2 turned into SQL whose every
// matching key can use an index (wildcards through their literal prefix, PN through the
// normalized key columns of migration v2).
import DicomCore
import GRDB

extension SQLiteIndex {
    public func find(_ query: IndexQuery, pageSize: Int,
                     each: @Sendable ([QueryMatch]) async -> Bool) async throws(ArchiveError) -> FindSummary {
        let (idSQL, arguments) = Self.matchingSQL(query)
        // The ids first (one indexed query), then the rows page by page: memory is bounded by a
        // page of rows, and a slow peer holds no read transaction open. The first page is read
        // in the same trip as the ids (one hop to the database queue fewer per query).
        let page = max(1, pageSize)
        let level = query.level, returnKeys = query.returnKeys, offset = query.offset, limit = query.limit
        let (matched, ids, firstRows) = try await read { db in
            var ids = try Int64.fetchAll(db, sql: idSQL, arguments: arguments)
            ids.sort()
            let matched = ids.count
            if offset > 0 { ids.removeFirst(min(offset, ids.count)) }
            if limit > 0, ids.count > limit { ids.removeLast(ids.count - limit) }
            let first = ids.isEmpty ? [] : try Self.fetchMatches(db, level: level, ids: Array(ids.prefix(page)), returnKeys: returnKeys)
            return (matched, ids, first)
        }
        var delivered = 0
        var start = 0
        while start < ids.count {
            let slice = Array(ids[start..<min(ids.count, start + page)])
            let rows = start == 0
                ? firstRows
                : try await read { db in try Self.fetchMatches(db, level: level, ids: slice, returnKeys: returnKeys) }
            start += slice.count
            delivered += rows.count
            guard await each(rows) else {
                return FindSummary(matched: matched, delivered: delivered, stoppedByCaller: true)
            }
        }
        return FindSummary(matched: matched, delivered: delivered, stoppedByCaller: false)
    }

    /// SQLite's plan for the query's matching statement (EXPLAIN QUERY PLAN details), for tests
    /// and for `dicomnode check` style diagnostics.
    func queryPlan(_ query: IndexQuery) throws -> [String] {
        let (sql, arguments) = Self.matchingSQL(query)
        return try pool.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: arguments).map { $0["detail"] as String }
        }
    }

    // MARK: - SQL

    /// The table of `level` joined with those of every level above it.
    static func table(_ level: QueryLevel) -> String {
        table(level, upTo: .patient)
    }

    /// The table of `level` joined with those of its parents up to `top` (a level at or above it).
    static func table(_ level: QueryLevel, upTo top: QueryLevel) -> String {
        var from = "\(tableName(level)) \(alias(level))"
        var child = level
        for parent in [QueryLevel.series, .study, .patient] where parent < child && parent >= top {
            from += " JOIN \(tableName(parent)) \(alias(parent)) ON \(alias(parent)).id = \(alias(child)).\(foreignKey(child))"
            child = parent
        }
        return from
    }

    private static func tableName(_ level: QueryLevel) -> String {
        switch level { case .patient: "patient"; case .study: "study"; case .series: "series"; case .image: "instance" }
    }

    /// The column of `level`'s table that points at its parent.
    private static func foreignKey(_ level: QueryLevel) -> String {
        switch level { case .patient: "id"; case .study: "patientId"; case .series: "studyId"; case .image: "seriesId" }
    }

    static func alias(_ level: QueryLevel) -> String {
        switch level { case .patient: "p"; case .study: "s"; case .series: "se"; case .image: "i" }
    }

    /// `SELECT id FROM … WHERE …` for the query's matching keys at its level and above.
    static func matchingSQL(_ query: IndexQuery) -> (String, StatementArguments) {
        var clauses: [String] = []
        var args: [(any DatabaseValueConvertible)?] = []
        var conditions = query.conditions
        if query.combineDateTime {
            for (dateTag, timeTag) in [(Tag.studyDate, Tag.studyTime), (Tag.seriesDate, Tag.seriesTime)] {
                guard let dateKey = QueryKey.byTag[dateTag], let timeKey = QueryKey.byTag[timeTag], dateKey.level <= query.level,
                      case .range(let d1, let d2)? = conditions[dateKey], case .range(let t1, let t2)? = conditions[timeKey],
                      let dateColumn = dateKey.column, let timeColumn = timeKey.column
                else { continue }
                conditions[dateKey] = nil
                conditions[timeKey] = nil
                var parts = ["\(dateColumn) <> ''"]
                if let d1 {
                    if let t1 {
                        parts.append("(\(dateColumn) > ? OR (\(dateColumn) = ? AND COALESCE(\(timeColumn), '') >= ?))")
                        args += [d1, d1, t1]
                    } else {
                        parts.append("\(dateColumn) >= ?")
                        args.append(d1)
                    }
                }
                if let d2 {
                    if let t2 {
                        parts.append("(\(dateColumn) < ? OR (\(dateColumn) = ? AND COALESCE(\(timeColumn), '') <= ? AND COALESCE(\(timeColumn), '') <> ''))")
                        args += [d2, d2, t2]
                    } else {
                        parts.append("\(dateColumn) <= ?")
                        args.append(d2)
                    }
                }
                clauses.append("(" + parts.joined(separator: " AND ") + ")")
            }
        }
        for (key, condition) in conditions.sorted(by: { $0.key.keyword < $1.key.keyword }) where key.level <= query.level {
            if let clause = sql(for: condition, key: key, caseInsensitive: query.personNameCaseInsensitive, args: &args) {
                clauses.append(clause)
            }
        }
        // Only the tables the matching keys need: a study-level date range reads the study_studyDate
        // index alone (it covers the id), where joining patient would read each study's row and its
        // patient's too. Every row has its parent (NOT NULL foreign keys), so the matches are the same.
        let top = query.conditions.keys.filter { $0.level <= query.level }.map(\.level).min() ?? query.level
        var sql = "SELECT \(alias(query.level)).id FROM \(table(query.level, upTo: top))"
        if !clauses.isEmpty { sql += " WHERE " + clauses.joined(separator: " AND ") }
        return (sql, StatementArguments(args))
    }

    /// The key columns of a PN attribute (migration v2): one per component group.
    static func personNameColumns(_ column: String) -> [String] {
        [column + "Key", column + "IdeographicKey", column + "PhoneticKey"]
    }

    static func sql(for condition: MatchCondition, key: QueryKey, caseInsensitive: Bool,
                    args: inout [(any DatabaseValueConvertible)?]) -> String? {
        switch condition {
        case .universal:
            return nil
        case .anyOf(let list):
            let parts = list.compactMap { sql(for: $0, key: key, caseInsensitive: caseInsensitive, args: &args) }
            return parts.isEmpty ? nil : "(" + parts.joined(separator: " OR ") + ")"
        case .range(let lower, let upper):
            guard let column = key.column else { return nil }
            var parts: [String] = []
            if let lower { parts.append("\(column) >= ?"); args.append(lower) }
            if let upper { parts.append("\(column) <= ?"); args.append(upper) }
            // §C.2.2.2.5: an entity without a value does not match a range.
            parts.append("\(column) <> ''")
            return "(" + parts.joined(separator: " AND ") + ")"
        case .single(let value):
            return singleSQL(value, wildcard: false, key: key, caseInsensitive: caseInsensitive, args: &args)
        case .wildcard(let pattern):
            return singleSQL(pattern, wildcard: true, key: key, caseInsensitive: caseInsensitive, args: &args)
        }
    }

    private static func singleSQL(_ value: String, wildcard: Bool, key: QueryKey, caseInsensitive: Bool,
                                  args: inout [(any DatabaseValueConvertible)?]) -> String? {
        if key.kind == .derived {
            // SOP Classes in Study (PS3.4 §C.6.1.1.3.1): any instance of the study with that class.
            let test = wildcard ? "i2.sopClassUID GLOB ?" : "i2.sopClassUID = ?"
            args.append(wildcard ? globPattern(value) : value)
            return "EXISTS (SELECT 1 FROM series se2 JOIN instance i2 ON i2.seriesId = se2.id WHERE se2.studyId = s.id AND \(test))"
        }
        guard let column = key.column else { return nil }
        switch key.kind {
        case .integer:
            guard let n = Int(value) else { return "0" }
            args.append(n)
            return "\(column) = ?"
        case .codeList:
            // Modalities in Study holds "CT\MR": a query for CT matches any of the values.
            args.append(wildcard ? "*\\" + globPattern(value) + "\\*" : "\\" + value + "\\")
            return wildcard ? "('\\' || \(column) || '\\') GLOB ?" : "instr('\\' || \(column) || '\\', ?) > 0"
        case .personName where caseInsensitive:
            let columns = personNameColumns(column)
            let groups = value.split(separator: "=", maxSplits: 2, omittingEmptySubsequences: false)
            if groups.count > 1 {
                // "Family^Given=家^名": each group given must match its own group.
                var parts: [String] = []
                for (i, g) in groups.enumerated() where !g.isEmpty && g != "*" {
                    parts.append(textTest(columns[i], PersonNameKey.normalize(g), wildcard: wildcard || g.contains("*") || g.contains("?"), args: &args))
                }
                return parts.isEmpty ? nil : "(" + parts.joined(separator: " AND ") + ")"
            }
            // One group given: it may be the name in any of its representations.
            let v = PersonNameKey.normalize(value)
            let parts = columns.map { textTest($0, v, wildcard: wildcard, args: &args) }
            return "(" + parts.joined(separator: " OR ") + ")"
        default:
            return textTest(column, value, wildcard: wildcard, args: &args)
        }
    }

    /// `column = ?`, or for a wildcard a GLOB bounded by its literal prefix so that the
    /// column's index narrows the search (a prefix "SMITH" scans "SMITH" ..< "SMITI" only).
    private static func textTest(_ column: String, _ value: String, wildcard: Bool,
                                 args: inout [(any DatabaseValueConvertible)?]) -> String {
        guard wildcard else {
            args.append(value)
            return "\(column) = ?"
        }
        let prefix = String(value.prefix { $0 != "*" && $0 != "?" })
        var parts: [String] = []
        if !prefix.isEmpty {
            parts.append("\(column) >= ?")
            args.append(prefix)
            if let upper = successor(of: prefix) {
                parts.append("\(column) < ?")
                args.append(upper)
            }
        }
        parts.append("\(column) GLOB ?")
        args.append(globPattern(value))
        return "(" + parts.joined(separator: " AND ") + ")"
    }

    /// The DICOM wildcard as a GLOB pattern: "*" and "?" keep their meaning, "[" and "]" are literal.
    static func globPattern(_ value: String) -> String {
        var out = ""
        for c in value {
            switch c {
            case "[": out += "[[]"
            case "]": out += "[]]"
            default: out.append(c)
            }
        }
        return out
    }

    /// The smallest string greater than every string starting with `prefix` (UTF-8 order, which
    /// is SQLite's BINARY collation): the last scalar incremented. nil when there is none.
    static func successor(of prefix: String) -> String? {
        var scalars = Array(prefix.unicodeScalars)
        while let last = scalars.popLast() {
            var next = last.value + 1
            if next == 0xD800 { next = 0xE000 }
            if let s = Unicode.Scalar(next) {
                scalars.append(s)
                var out = String.UnicodeScalarView()
                out.append(contentsOf: scalars)
                return String(out)
            }
        }
        return nil
    }

    // MARK: - Rows

    /// The unique keys (PS3.4 §C.2.1.1.1), always read with a match.
    private static let uniqueKeys: Set<QueryKey> = [.studyInstanceUID, .seriesInstanceUID, .sopInstanceUID]

    static func fetchMatches(_ db: Database, level: QueryLevel, ids: [Int64], returnKeys: Set<QueryKey>?) throws -> [QueryMatch] {
        // Only the columns the caller will use (plus the unique keys, which QIDO-RS builds its
        // Retrieve URL from): a study-level C-FIND asking for 9 keys reads 9 columns, not 30.
        let keys = QueryKey.all.filter { key in
            key.level <= level && key.column != nil
                && (returnKeys.map { $0.contains(key) || uniqueKeys.contains(key) } ?? true)
        }
        var select = keys.compactMap(\.column)
        select.append("\(alias(level)).id")
        if level >= .study { select.append("s.id") }
        if level == .image {
            select += ["s.studyInstanceUID", "se.seriesInstanceUID", "i.objectPath", "i.fileSize", "i.transferSyntaxUID",
                       "i.sopInstanceUID", "i.sopClassUID"]
        }
        let placeholders = Array(repeating: "?", count: ids.count).joined(separator: ",")
        let sql = "SELECT \(select.joined(separator: ", ")) FROM \(table(level)) WHERE \(alias(level)).id IN (\(placeholders))"
        // Cached: the SQL depends only on the level, the columns and the page's length (at most
        // the page size), so a full page reuses its statement from one query to the next.
        // A cursor: each row is read in place, not copied first.
        let rows = try Row.fetchCursor(db.cachedStatement(sql: sql), arguments: StatementArguments(ids))
        var byID: [Int64: QueryMatch] = [:]
        byID.reserveCapacity(ids.count)
        var studyOf: [Int64: Int64] = [:]
        while let row = try rows.next() {
            var values: [QueryKey: String] = [:]
            values.reserveCapacity(keys.count)
            for (i, key) in keys.enumerated() {
                let dbValue = row[i] as DatabaseValue
                switch dbValue.storage {
                case .null: continue
                case .int64(let n): values[key] = String(n)
                case .double(let d): values[key] = String(d)
                case .string(let s): values[key] = s
                case .blob: continue
                }
            }
            let id: Int64 = row[keys.count]
            if level >= .study { studyOf[id] = row[keys.count + 1] }
            var stored: IndexedInstance?
            if level == .image {
                let b = keys.count + 2
                stored = IndexedInstance(sopInstanceUID: row[b + 5], sopClassUID: row[b + 6], studyInstanceUID: row[b],
                                         seriesInstanceUID: row[b + 1], objectPath: row[b + 2], fileSize: row[b + 3],
                                         transferSyntaxUID: row[b + 4])
            }
            byID[id] = QueryMatch(values: values, stored: stored)
        }
        // SOP Classes in Study (PS3.4 §C.6.1.1.3.1), computed for the page's studies when asked for.
        if level == .study, let sopClassesKey = QueryKey.byTag[Tag(0x0008, 0x0062)],
           returnKeys?.contains(sopClassesKey) ?? true, !studyOf.isEmpty {
            let studies = Array(Set(studyOf.values))
            let marks = Array(repeating: "?", count: studies.count).joined(separator: ",")
            var classes: [Int64: [String]] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT DISTINCT se.studyId, i.sopClassUID FROM series se JOIN instance i ON i.seriesId = se.id
                WHERE se.studyId IN (\(marks)) ORDER BY i.sopClassUID
                """, arguments: StatementArguments(studies)) {
                classes[row[0], default: []].append(row[1])
            }
            for (id, study) in studyOf {
                if let list = classes[study] { byID[id]?.values[sopClassesKey] = list.joined(separator: "\\") }
            }
        }
        return ids.compactMap { byID[$0] }
    }
}

/// What a `find` did.
public struct FindSummary: Sendable, Equatable {
    /// Entities that matched (before the limit).
    public var matched: Int
    /// Entities handed to the caller.
    public var delivered: Int
    /// The caller stopped the search (C-CANCEL, or the peer went away).
    public var stoppedByCaller: Bool
}
