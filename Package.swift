// swift-tools-version: 6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

/// The library's invariant checks (`_invariantCheck`-style preconditions on its data
/// structures) run in debug builds, so every test run exercises them; release builds skip them.
let librarySettings = swiftSettings + [.define("GEOFILTER_INTERNAL_CHECKS", .when(configuration: .debug))]

let package = Package(
    name: "GeoFilter",
    products: [
        .library(name: "GeoFilterCore", targets: ["GeoFilterCore"]),
        .library(name: "GeoFilterBundledData", targets: ["GeoFilterBundledData"]),
        .executable(name: "geofilter-demo", targets: ["geofilter-demo"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
    ],
    targets: [
        // The C libraries the system provides, found through pkg-config: a host without them
        // gets SwiftPM's install hint. (libipset and libcurl are opened on first use instead.)
        .systemLibrary(name: "CNftnl", pkgConfig: "libnftnl", providers: [.apt(["libnftnl-dev"])]),
        .systemLibrary(name: "CMnl", pkgConfig: "libmnl", providers: [.apt(["libmnl-dev"])]),
        .target(
            name: "CNetfilterShim",
            dependencies: ["CNftnl", "CMnl"],
            cSettings: [.define("_GNU_SOURCE")],
            linkerSettings: [.linkedLibrary("z")]
        ),
        .target(
            name: "GeoFilterCore",
            dependencies: [
                "CNetfilterShim",
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: librarySettings
        ),
        .target(
            name: "GeoFilterBundledData",
            dependencies: ["GeoFilterCore"],
            resources: [.copy("Resources/geofilter-bundled.gfsnap"), .copy("Resources/DATA-LICENSE.md")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "geofilter-demo",
            dependencies: [
                "GeoFilterCore",
                "GeoFilterBundledData",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "pbx-host-example",
            dependencies: ["GeoFilterCore", "GeoFilterBundledData"],
            path: "Examples/PBXHost",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "GeoFilterTestSupport",
            path: "Tests/GeoFilterTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GeoFilterCoreTests",
            dependencies: [
                "GeoFilterCore", "GeoFilterBundledData", "GeoFilterTestSupport",
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GeoFilterDemoTests",
            dependencies: ["geofilter-demo", "GeoFilterCore", "GeoFilterTestSupport"],
            swiftSettings: swiftSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
