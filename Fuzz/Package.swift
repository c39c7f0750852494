// swift-tools-version:6.1
import PackageDescription

// libFuzzer targets for autoload, kept out of the main package like Benchmarks/. Build and run
// them with scripts/fuzz.sh; by hand, from this directory:
//   swift build -c release --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address
// (one combined -sanitize=: swiftc keeps only the last one, see README.md)
//   SWIFT_BACKTRACE=enable=no .build/release/FuzzUevent -max_total_time=20
// Each Fuzz* target exports LLVMFuzzerTestOneInput and has no top-level code, so libFuzzer
// supplies main. FnmatchAgreement is a plain executable (its own main): AliasMatcher against
// glibc fnmatch(3) on N random pattern/string pairs.
let package = Package(
    name: "autoload-fuzz",
    dependencies: [
        .package(name: "autoload", path: ".."),
    ],
    targets: [
        // The oracles shared by FuzzGlob and FnmatchAgreement: glibc fnmatch(3) and libkmod's
        // index search (literal prefix, fnmatch after the first wildcard).
        .target(
            name: "FuzzSupport",
            dependencies: [.product(name: "AliasMatcher", package: "autoload")]
        ),
        .executableTarget(
            name: "FuzzUevent",
            dependencies: [.product(name: "Autoload", package: "autoload")]
        ),
        .executableTarget(
            name: "FuzzGlob",
            dependencies: ["FuzzSupport", .product(name: "AliasMatcher", package: "autoload")]
        ),
        .executableTarget(
            name: "FuzzTreeText",
            dependencies: [.product(name: "AliasMatcher", package: "autoload")]
        ),
        .executableTarget(
            name: "FuzzIndexFile",
            dependencies: [.product(name: "AliasMatcher", package: "autoload"), .product(name: "LinuxSystem", package: "autoload")]
        ),
        .executableTarget(
            name: "FnmatchAgreement",
            dependencies: ["FuzzSupport", .product(name: "AliasMatcher", package: "autoload")]
        ),
    ]
)
