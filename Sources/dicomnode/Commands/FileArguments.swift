import Foundation

/// Files named on the command line: files as given, directories walked recursively (sorted),
/// the way `dcmdump +sd` and `storescu +sd` treat them.
enum FileArguments {
    static func expand(_ paths: [String]) -> [String] {
        var out: [String] = []
        let fm = FileManager.default
        for path in paths {
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
                out.append(path)
                continue
            }
            var found: [String] = []
            if let e = fm.enumerator(atPath: path) {
                for case let relative as String in e {
                    let full = (path as NSString).appendingPathComponent(relative)
                    var dir: ObjCBool = false
                    if fm.fileExists(atPath: full, isDirectory: &dir), !dir.boolValue { found.append(full) }
                }
            }
            out.append(contentsOf: found.sorted())
        }
        return out
    }
}
