// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "gssa",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "gssa", targets: ["gssa"]),
        .library(name: "GSSA", targets: ["GSSA"]),
        .library(name: "GSSAArchive", targets: ["GSSAArchive"]),
        .library(name: "Families", targets: ["Families"]),
        // --- container module (branch `container`) ---
        .executable(name: "gssa-container", targets: ["gssa-container"]),
        .library(name: "ContainerModule", targets: ["ContainerModule"]),
        // --- end container module ---
        .library(name: "MesherCGAL", targets: ["MesherCGAL"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: [
        // libarchive, for every tar.gz we read or write.
        .systemLibrary(
            name: "CArchive",
            pkgConfig: "libarchive",
            providers: [.apt(["libarchive-dev"])]
        ),
        // The error taxonomy and path rules: no XML, so static executables can link it.
        .target(name: "GSSACore"),
        // GSSA-XML model, parser and comparator (re-exports GSSACore).
        .target(name: "GSSA", dependencies: ["GSSACore"]),
        // Safe tar.gz reading and writing on top of libarchive.
        .target(name: "GSSAArchive", dependencies: ["GSSACore", "CArchive"]),
        // Families: GSSA-XML -> solver input directory (+ GSSF-XML for mesher families).
        .target(
            name: "Families",
            dependencies: ["GSSA", "GSSAArchive", .product(name: "Yams", package: "Yams")]
        ),
        // The `gssa` command tree; a library so that tests can drive it in-process.
        .target(
            name: "GSSACLI",
            dependencies: [
                "GSSA", "Families", "MesherCGAL",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "gssa", dependencies: ["GSSACLI"]),

        // --- container module (branch `container`) ---
        // C glue for the runner. libarchive (+ zlib) is linked from its static archives so the
        // runner, built with --static-swift-stdlib, needs nothing but glibc in the image.
        .target(
            name: "CContainerSupport",
            linkerSettings: [.linkedLibrary(":libarchive.a"), .linkedLibrary(":libz.a")]
        ),
        // The runner library: no Foundation, no GSSA (which brings FoundationXML).
        .target(name: "ContainerModule", dependencies: ["CContainerSupport"], exclude: ["python"]),
        .executableTarget(name: "gssa-container", dependencies: ["ContainerModule"]),
        .testTarget(name: "ContainerModuleTests", dependencies: ["ContainerModule", "CContainerSupport"]),
        // --- end container module ---
        // ---- MesherCGAL (issue 3) ----
        // CGAL Mesh_3 behind a plain C header (include/gssa_mesher.h). Always -O2 (CGAL at -O0 is
        // unusably slow) and without debug info (it triples the compile time of the CGAL TU).
        .target(
            name: "CGALMesherCore",
            path: "Sources/CGALMesherCore",
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
            resources: [.copy("Resources/needle-library.json")]
        ),
        .testTarget(name: "MesherCGALTests", dependencies: ["MesherCGAL", "GSSA", "Families"]),
        // ---- end MesherCGAL ----

        .testTarget(name: "GSSATests", dependencies: ["GSSA", "GSSAArchive"]),
        .testTarget(
            name: "FamiliesTests",
            dependencies: ["Families", "GSSA", "GSSAArchive", .product(name: "Yams", package: "Yams")],
            resources: [.copy("Golden")]
        ),
        .testTarget(name: "GSSACLITests", dependencies: ["GSSACLI", "GSSA"]),
    ]
)
