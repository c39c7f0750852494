// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "autoload",
    products: [
        .executable(name: "autoloadd", targets: ["autoloadd"]),
        .library(name: "AliasMatcher", targets: ["AliasMatcher"]),
        .library(name: "Autoload", targets: ["Autoload"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
    ],
    targets: [
        // Pure Swift: parse modules.alias & co., compile every pattern into one matcher.
        .target(
            name: "AliasMatcher",
            dependencies: [.product(name: "SystemPackage", package: "swift-system")]
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
                "AliasMatcher", "CKmod", "CLinux",
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        .executableTarget(
            name: "autoloadd",
            dependencies: ["Autoload", "AliasMatcher", "CLinux"]
        ),
        .testTarget(
            name: "AliasMatcherTests",
            dependencies: ["AliasMatcher"]
        ),
        .testTarget(
            name: "AutoloadTests",
            dependencies: ["Autoload", "AliasMatcher", "CKmod", "CLinux", "CUdev"]
        ),
    ]
)
