import Foundation

/// pydicom's and pydicom-data's sample files (installed by Scripts/install-deps.sh), listed directly
/// from their folders (pydicom's own lookup tries the network).
public enum PydicomCorpus {
    /// Folders holding the sample files; empty when pydicom is not installed.
    public static let directories: [URL] = {
        let script = """
        import os
        try:
            import pydicom; p = os.path.dirname(pydicom.__file__)
            print(os.path.join(p, 'data', 'test_files')); print(os.path.join(p, 'data', 'charset_files'))
        except Exception: pass
        try:
            import data_store; print(os.path.join(os.path.dirname(data_store.__file__), 'data'))
        except Exception: pass
        """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return [] }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map { URL(fileURLWithPath: String($0)) }
    }()

    static let skippedSuffixes = [".py", ".pyc", ".json", ".txt", ".gz", ".bz2", ".dump", ".icc", ".xml", ".npy"]

    /// Every candidate sample file.
    public static func files() -> [URL] {
        var out: [URL] = []
        for dir in directories {
            guard let e = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: [.isRegularFileKey]) else { continue }
            for case let url as URL in e {
                guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { continue }
                let name = url.lastPathComponent
                if name.hasPrefix("README") || name == "__init__.py" || skippedSuffixes.contains(where: name.hasSuffix) { continue }
                out.append(url)
            }
        }
        return out.sorted { $0.path < $1.path }
    }

    /// A named file from pydicom's test_files folder.
    public static func testFile(_ name: String) -> URL? {
        for dir in directories {
            let url = dir.appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: url.path) { return url }
        }
        return nil
    }
}
