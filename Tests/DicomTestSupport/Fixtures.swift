import Foundation

/// Paths of test fixtures: the repository's own under Tests/Fixtures, and pydicom's test files.
public enum Fixtures {
    public static let repositoryRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }()
    public static var directory: URL { repositoryRoot.appendingPathComponent("Tests/Fixtures") }
}
