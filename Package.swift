// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "autoload",
    products: [
        .executable(name: "autoloadd", targets: ["autoloadd"]),
        .library(name: "AliasMatcher", targets: ["AliasMatcher"]),
        .library(name: "LinuxSystem", targets: ["LinuxSystem"]),
        .library(name: "Autoload", targets: ["Autoload"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
    ],
    targets: [
        // The system layer: every system call through one EINTR-safe funnel with errno in
        // small error types; whole-file reads, mappings, directories, clocks, signalfd,
        // sd_notify, /proc/modules.
        .target(
            name: "LinuxSystem",
            dependencies: ["CLinux", .product(name: "SystemPackage", package: "swift-system")]
        ),
        // Pure Swift: parse modules.alias & co., compile every pattern into one matcher, the
        // index file format. Its files come through LinuxSystem.
        .target(
            name: "AliasMatcher",
            dependencies: ["LinuxSystem", .product(name: "SystemPackage", package: "swift-system")]
        ),
        // libkmod (modprobe.d, modules.dep, softdeps, options, blacklist, insertion).
        .systemLibrary(
            name: "CKmod",
            pkgConfig: "libkmod",
            providers: [.apt(["libkmod-dev"])]
        ),
        // libudev, linked by the tests only: the oracle for the walker and the uevent parser.
        .systemLibrary(
            name: "CUdev",
            pkgConfig: "libudev",
            providers: [.apt(["libudev-dev"])]
        ),
        // Linux declarations Swift's Glibc module lacks (netlink, signalfd, malloc_trim), CMSG
        // helpers, and argv captured at start-up (no /proc needed).
        .target(name: "CLinux"),
        .target(
            name: "Autoload",
            dependencies: [
                "AliasMatcher", "LinuxSystem", "CKmod", "CLinux",
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        .executableTarget(
            name: "autoloadd",
            dependencies: ["Autoload", "AliasMatcher", "LinuxSystem", "CLinux"]
        ),
        // What the test targets share: the deterministic generator behind every random corpus.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(
            name: "AliasMatcherTests",
            dependencies: ["AliasMatcher", "LinuxSystem", "TestSupport"]
        ),
        .testTarget(
            name: "AutoloadTests",
            dependencies: ["Autoload", "AliasMatcher", "LinuxSystem", "CKmod", "CLinux", "CUdev", "TestSupport"]
        ),
    ]
)
