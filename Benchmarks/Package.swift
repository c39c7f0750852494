// swift-tools-version:6.1
import PackageDescription

// Benchmarks for autoload, kept out of the main package so its dependency graph stays
// small. Run from this directory:
//   swift run -c release LookupRatio           # libkmod vs autoload, ns/lookup per family
//   swift package benchmark                    # ordo-one/benchmark suites (supplementary)
let package = Package(
    name: "autoload-benchmarks",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(name: "autoload", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .target(
            name: "BenchCorpus",
            dependencies: [.product(name: "AliasMatcher", package: "autoload")]
        ),
        // libkmod called from C with no Swift in between: libkmod's own floor.
        .target(
            name: "CKmodLoop",
            linkerSettings: [.linkedLibrary("kmod")]
        ),
        .executableTarget(
            name: "LookupRatio",
            dependencies: [
                "BenchCorpus", "CKmodLoop",
                .product(name: "AliasMatcher", package: "autoload"),
                .product(name: "Autoload", package: "autoload"),
            ]
        ),
        .executableTarget(
            name: "AliasLookupBenchmarks",
            dependencies: [
                "BenchCorpus", "CKmodLoop",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "AliasMatcher", package: "autoload"),
                .product(name: "Autoload", package: "autoload"),
            ],
            path: "Benchmarks/AliasLookupBenchmarks",
            swiftSettings: [.swiftLanguageMode(.v5)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
