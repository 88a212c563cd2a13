// swift-tools-version:6.1
import PackageDescription

// Linux only. The daemon acts with its callers' file rights through setfsuid/setfsgid and
// renameat2, the runner supervises with signalfd and is linked static against glibc, and the
// mesher needs CGAL, gmsh and TBB from Debian; none of that exists on Darwin. So the package
// names no Apple platform, and says so at once rather than failing deep inside a C target.
#if !os(Linux)
#error("gssa builds on Linux only (see the comment at the top of Package.swift)")
#endif

let package = Package(
    name: "gssa",
    products: [
        .executable(name: "gssa", targets: ["gssa"]),
        .library(name: "GSSA", targets: ["GSSA"]),
        .library(name: "GSSAArchive", targets: ["GSSAArchive"]),
        .library(name: "Families", targets: ["Families"]),
        // --- launch daemon ---
        .executable(name: "gssa-dockerlaunch", targets: ["gssa-dockerlaunch"]),
        .library(name: "ContainerEngine", targets: ["ContainerEngine"]),
        .library(name: "LaunchClient", targets: ["LaunchClient"]),
        // --- end launch daemon ---
        // --- simulation server ---
        .library(name: "GSSAServer", targets: ["GSSAServer"]),
        .library(name: "GSSAAPI", targets: ["GSSAAPI"]),
        // --- end simulation server ---
        // --- container module ---
        .executable(name: "gssa-container", targets: ["gssa-container"]),
        .library(name: "ContainerModule", targets: ["ContainerModule"]),
        // --- end container module ---
        .library(name: "MesherCGAL", targets: ["MesherCGAL"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        // --- launch daemon ---
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        // --- end launch daemon ---
        // --- simulation server ---
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // --- end simulation server ---
        // DocC plugin: `scripts/docs` runs `swift package generate-documentation`; it adds no code to any target.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // libarchive, for every tar.gz we read or write.
        .systemLibrary(
            name: "CArchive",
            pkgConfig: "libarchive",
            providers: [.apt(["libarchive-dev"])]
        ),
        // libxml2, used directly by the one XML reader (XMLTreeReader): SAX2 with our own limits.
        .systemLibrary(
            name: "CLibXML2",
            pkgConfig: "libxml-2.0",
            providers: [.apt(["libxml2-dev"])]
        ),
        // The wire formats, standard library only, so the static runner links them too: the
        // error taxonomy, exit_status, status lines, the line splitter, the archive policy.
        .target(name: "GSSAWire"),
        // The error type and path rules (re-exports GSSAWire): no XML, so static executables can link it.
        .target(name: "GSSACore", dependencies: ["GSSAWire"]),
        // Log output of the services (text or JSON lines on stdout, for journald): shared by `gssa server` and the daemon.
        .target(name: "GSSALogging", dependencies: [.product(name: "Logging", package: "swift-log")]),
        // GSSA-XML model, parser and comparator (re-exports GSSACore).
        .target(name: "GSSA", dependencies: ["GSSACore", "CLibXML2"]),
        // Safe tar.gz reading and writing on top of libarchive.
        .target(name: "GSSAArchive", dependencies: ["GSSACore", "GSSAWire", "CArchive"]),
        // The HTTP API's request, response and event types: what clients share with the server,
        // without the server's Hummingbird and GRDB.
        .target(name: "GSSAAPI", dependencies: ["GSSACore"]),
        // Families: GSSA-XML -> solver input directory (+ GSSF-XML for mesher families).
        .target(
            name: "Families",
            dependencies: ["GSSA", "GSSAArchive", .product(name: "Yams", package: "Yams")]
        ),
        // The `gssa` command tree; a library so that tests can drive it in-process.
        .target(
            name: "GSSACLI",
            dependencies: ["LaunchProtocol", "GSSALogging",
                .product(name: "Logging", package: "swift-log"), .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationEssentialsCompat", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                "GSSA", "Families", "MesherCGAL",
                "LaunchClient",  // launch daemon: `gssa container run`
                "ContainerEngine",  // `gssa admin doctor` and `prune-engine` ask the engine directly
                "GSSAServer", "GSSAArchive",  // simulation server: `gssa server`, `gssa users`
                "GSSAAPI",  // the HTTP API's wire types: client commands
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Yams", package: "Yams"),  // PrivateDaemon writes dockerlaunch.yml
            ]
        ),
        .executableTarget(name: "gssa", dependencies: ["GSSACLI"]),

        // --- launch daemon ---
        // The seam to Docker: a small protocol, the Engine API over a Unix socket, an
        // in-memory engine with fault injection (tars come from GSSAArchive).
        .target(
            name: "ContainerEngine",
            dependencies: [
                "GSSACore", "GSSAArchive",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Wire format shared by daemon and client: JSON lines, commands, events.
        .target(
            name: "LaunchProtocol",
            dependencies: ["GSSACore", "GSSAWire", .product(name: "NIOCore", package: "swift-nio")]
        ),
        // C glue for the daemon: per-thread fsuid/fsgid/groups (act with a caller's file rights),
        // a private cwd per thread, renameat2.
        .target(name: "CDaemonSupport"),
        // The privilege-separated daemon as a library (config, registry, server).
        .target(
            name: "LaunchDaemon",
            dependencies: [
                "GSSACore", "GSSAWire", "GSSAArchive", "ContainerEngine", "LaunchProtocol", "CDaemonSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // Async client of the daemon, used by `gssa container run` and the server.
        .target(
            name: "LaunchClient",
            dependencies: [
                "GSSACore", "GSSAWire", "LaunchProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "gssa-dockerlaunch",
            dependencies: ["ContainerEngine", "GSSACore", .product(name: "UnixSignals", package: "swift-service-lifecycle"), 
                "LaunchDaemon", "GSSALogging",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Test support, linked by test targets (and the benchmarks) only, never by production code:
        // an in-memory engine with fault injection.
        .target(name: "ContainerEngineTesting", dependencies: ["ContainerEngine", "GSSACore", "GSSAArchive"]),
        .testTarget(
            name: "LaunchDaemonTests",
            dependencies: [.product(name: "Logging", package: "swift-log"), .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"), 
                "LaunchDaemon", "LaunchClient", "LaunchProtocol", "ContainerEngine", "ContainerEngineTesting", "GSSACore", "GSSAWire", "GSSAArchive",
                "GSSATestSupport", "GSSAFuzzing",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            // Frame-fuzzer crashers, replayed by FrameFuzzTests (read through #filePath).
            exclude: ["FuzzRegressions"]
        ),
        // --- end launch daemon ---

        // --- simulation server ---
        // The GSSA server: HTTP/JSON API, WebSocket events, SQLite store, queue, transferrers.
        .target(
            name: "GSSAServer",
            dependencies: [.product(name: "NIOPosix", package: "swift-nio"), .product(name: "CoreMetrics", package: "swift-metrics"), "GSSACore", .product(name: "HummingbirdCore", package: "hummingbird"), .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOFoundationEssentialsCompat", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"), 
                "GSSA", "GSSAAPI", "GSSAArchive", "Families", "LaunchClient", "LaunchProtocol",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Yams", package: "Yams"),
            ],
            // The web dashboard's HTML, CSS and JavaScript modules (docs/web.md).
            resources: [.copy("Web/assets")]
        ),
        // Test support: an in-memory launcher and store (as hummingbird ships HummingbirdTesting).
        .target(name: "GSSAServerTesting", dependencies: ["GSSAServer", "GSSA", "LaunchProtocol"]),
        .testTarget(
            name: "GSSAServerTests",
            dependencies: [.product(name: "GRDB", package: "GRDB.swift"), .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOFoundationEssentialsCompat", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "NIOWebSocket", package: "swift-nio"), 
                "GSSAServer", "GSSAServerTesting", "GSSA", "GSSAArchive", "Families", "LaunchDaemon", "LaunchClient",
                "LaunchProtocol", "ContainerEngine", "ContainerEngineTesting", "GSSATestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "Yams", package: "Yams"),
            ],
            resources: [.copy("Fixtures")]
        ),
        // Benchmarks for docs/performance.md, section "Server".
        .executableTarget(
            name: "gssa-server-bench",
            dependencies: ["LaunchProtocol", .product(name: "NIOWebSocket", package: "swift-nio"), 
                "GSSAServer", "GSSAServerTesting", "GSSA", "LaunchDaemon", "ContainerEngine",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/ServerBenchmarks"
        ),
        // --- end simulation server ---

        // --- container module ---
        // C glue for the runner. libarchive (+ zlib) is linked from its static archives so the
        // runner, built with --static-swift-stdlib, needs nothing but glibc in the image.
        .target(
            name: "CContainerSupport",
            linkerSettings: [.linkedLibrary(":libarchive.a"), .linkedLibrary(":libz.a")]
        ),
        // The runner library: no Foundation, no GSSA (which brings FoundationXML).
        .target(name: "ContainerModule", dependencies: ["GSSAWire", "CContainerSupport"], exclude: ["python"]),
        .executableTarget(name: "gssa-container", dependencies: ["ContainerModule", "GSSAWire"]),
        .testTarget(name: "ContainerModuleTests", dependencies: ["ContainerModule", "GSSAWire", "CContainerSupport", "GSSATestSupport"]),
        // --- end container module ---
        // --- MesherCGAL ---
        // CGAL Mesh_3 behind a plain C header (include/gssa_mesher.h). Always -O2 (CGAL at -O0 is
        // unusably slow) and without debug info (it triples the compile time of the CGAL TU).
        .target(
            name: "CGALMesherCore",
            path: "Sources/MesherCGAL/CGALCore",
            cxxSettings: [
                .define("NDEBUG"),
                .define("CGAL_LINKED_WITH_TBB"),
                // -fdelayed-template-parsing: CGAL 5.5 has template bodies (boost/graph/iterator.h) that
                // clang 21 rejects although they are never instantiated.
                .unsafeFlags(["-O2", "-g0", "-std=c++17", "-fdelayed-template-parsing", "-Wno-deprecated-declarations"]),
            ],
            linkerSettings: [
                .linkedLibrary("gmsh"), .linkedLibrary("tbb"), .linkedLibrary("tbbmalloc"),
                .linkedLibrary("gmp"), .linkedLibrary("mpfr"), .linkedLibrary("stdc++"),
            ]
        ),
        // Swift API: MeshSettings -> MeshResult, GSSF-XML and mesher_cgal-flag readers, needle library.
        .target(
            name: "MesherCGAL",
            dependencies: ["GSSA", "CGALMesherCore"],
            exclude: ["CGALCore"],
            resources: [.copy("Resources/needle-library.json")]
        ),
        // Test support: a mesher without CGAL, for code that calls the mesher.
        .target(name: "MesherCGALTesting", dependencies: ["MesherCGAL", "GSSA"]),
        .testTarget(name: "MesherCGALTests", dependencies: ["MesherCGAL", "MesherCGALTesting", "GSSA", "Families", "GSSATestSupport", "GSSAFuzzing"]),
        // --- end MesherCGAL ---

        // What tests share: which real parts this machine has, as Swift Testing traits (skipped
        // locally when missing, a failure under CI=true). Linked by test targets only.
        .target(name: "GSSATestSupport"),
        // A seeded mutation fuzzer for the tests (docs/fuzzing.md): deterministic, bounded.
        .target(name: "GSSAFuzzing"),

        .testTarget(
            name: "GSSATests",
            dependencies: ["GSSACore", "GSSA", "GSSAArchive", "GSSATestSupport", "GSSAFuzzing"],
            exclude: ["Crashers"]  // regression inputs, read through #filePath (docs/fuzzing.md)
        ),
        .testTarget(
            name: "FamiliesTests",
            dependencies: ["Families", "GSSA", "GSSAArchive", "GSSATestSupport", "GSSAFuzzing", .product(name: "Yams", package: "Yams")],
            resources: [.copy("Golden")]
        ),
        .testTarget(name: "GSSAWireTests", dependencies: ["GSSAWire"]),
        .testTarget(name: "GSSACLITests", dependencies: [.product(name: "ArgumentParser", package: "swift-argument-parser"), "GSSACLI", "GSSA", "GSSATestSupport", .product(name: "Yams", package: "Yams"), "GSSALogging", "GSSAServer", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Logging", package: "swift-log")]),
    ]
)

// Every Swift target sees only the members of modules it imports itself (as hummingbird does),
// so each file's imports, and each target's dependencies here, stay complete.
let cTargets: Set<String> = ["CDaemonSupport", "CContainerSupport", "CGALMesherCore"]
for target in package.targets where target.type != .system && !cTargets.contains(target.name) {
    target.swiftSettings = (target.swiftSettings ?? []) + [.enableUpcomingFeature("MemberImportVisibility")]
}
