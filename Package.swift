// swift-tools-version:6.2
import PackageDescription
import Foundation

// Fuzz targets have no `main` (libFuzzer supplies it), so a plain build cannot link them.
// They join the package only when DICOMNODE_FUZZ=1 (see docs/fuzzing.md).
let fuzzing = ProcessInfo.processInfo.environment["DICOMNODE_FUZZ"] == "1"

var targets: [Target] = [
    .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
    .systemLibrary(name: "CTurboJPEG", pkgConfig: "libturbojpeg", providers: [.apt(["libturbojpeg0-dev"])]),
    .systemLibrary(name: "CCharLS", pkgConfig: "charls", providers: [.apt(["libcharls-dev"])]),
    .systemLibrary(name: "COpenJPEG", pkgConfig: "libopenjp2", providers: [.apt(["libopenjp2-7-dev"])]),
    // OpenJPH (HTJ2K encode) has a C++ API only: a small C++ target gives it a C face.
    .target(name: "COpenJPHShim", linkerSettings: [.linkedLibrary("openjph")]),
    .target(name: "DicomCore", dependencies: ["CZlib", "CTurboJPEG", "CCharLS", "COpenJPEG", "COpenJPHShim"]),
    .target(
        name: "DicomArchive",
        dependencies: [
            "DicomCore",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
        ]
    ),
    .target(
        name: "DimseServer",
        dependencies: [
            "DicomCore", "DicomArchive",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
        ]
    ),
    .target(
        name: "WadoGateway",
        dependencies: [
            "DicomCore", "DicomArchive",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            // FileRegionWriter: stored files go to the HTTP/1 encoder as FileRegions (sendfile).
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
        ]
    ),
    .executableTarget(
        name: "dicomnode",
        dependencies: [
            "DicomCore", "DicomArchive", "DimseServer", "WadoGateway",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Yams", package: "Yams"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ]
    ),
    .target(name: "DicomTestSupport", dependencies: ["DicomCore"], path: "Tests/DicomTestSupport"),
    .testTarget(name: "DicomCoreTests", dependencies: ["DicomCore", "DicomTestSupport"]),
    .testTarget(name: "DicomArchiveTests", dependencies: ["DicomArchive", "DicomTestSupport",
                                                        .product(name: "GRDB", package: "GRDB.swift")]),
    .testTarget(name: "dicomnodeTests", dependencies: ["dicomnode"]),
    .testTarget(
        name: "WadoGatewayTests",
        dependencies: [
            "WadoGateway", "DicomArchive", "DicomTestSupport",
            // Requests go straight into the router (GatewayTestSupport.swift): HummingbirdTesting
            // would add AsyncHTTPClient, NIOSSL and NIOHTTP2 to every CI build.
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
            // A few live-socket tests (the sendfile path) use a NIO HTTP/1 client.
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]
    ),
    .testTarget(
        name: "DimseServerTests",
        dependencies: [
            "DimseServer", "DicomArchive", "DicomTestSupport",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
            .product(name: "NIOTestUtils", package: "swift-nio"),
        ]
    ),
]

if fuzzing {
    targets.append(.target(name: "FuzzSupport", path: "Fuzz/FuzzSupport"))
    for name in ["FuzzDataSetReader", "FuzzPart10Reader", "FuzzRLE", "FuzzJPEGLossless", "FuzzLibraryCodecs"] {
        targets.append(.executableTarget(name: name, dependencies: ["DicomCore", "FuzzSupport"], path: "Fuzz/\(name)"))
    }
    targets.append(.executableTarget(name: "FuzzQuery", dependencies: ["DimseServer", "DicomArchive", "DicomCore", "FuzzSupport"],
                                     path: "Fuzz/FuzzQuery"))
    for name in ["FuzzPDUReader", "FuzzAssociation"] {
        targets.append(.executableTarget(
            name: name,
            dependencies: ["DimseServer", "DicomTestSupport", "FuzzSupport", .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "NIOEmbedded", package: "swift-nio"),
                           .product(name: "Logging", package: "swift-log")],
            path: "Fuzz/\(name)"))
    }
}

let package = Package(
    name: "dicomnode",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "dicomnode", targets: ["dicomnode"]),
        .library(name: "DicomCore", targets: ["DicomCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        // Already resolved through Hummingbird; named for NIOHTTPTypesHTTP1 (FileRegionWriter).
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        // No default traits: swift-configuration support is not used (the node reads YAML).
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: targets,
    swiftLanguageModes: [.v6]
)
