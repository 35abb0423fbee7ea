// swift-tools-version: 6.1
// Fuzz targets for GeoFilter's parsers, in their own package (like Benchmarks/) so the library
// never depends on them and normal builds never see them. Build and run with
// `Scripts/fuzz.sh TARGET SECONDS` (libFuzzer: `swift build --sanitize=fuzzer --sanitize=address
// -Xswiftc -DFUZZING`). Built without those flags, each target is a replayer: it runs the files
// given as arguments through the same code, for regression checks and debugging.
import PackageDescription

let targets = [
    "address", "network", "dbip", "geolite2", "rir", "ipdeny", "ipfire", "snapshot", "policy",
]

let package = Package(
    name: "GeoFilterFuzz",
    dependencies: [.package(name: "GeoFilter", path: "..")],
    targets: [
        .target(
            name: "FuzzSupport",
            dependencies: [.product(name: "GeoFilterCore", package: "GeoFilter")],
            swiftSettings: [.enableUpcomingFeature("ExistentialAny")]
        )
    ]
        + targets.map { name in
            .executableTarget(name: "fuzz-\(name)", dependencies: ["FuzzSupport"], path: "Targets/\(name)")
        },
    swiftLanguageModes: [.v6]
)
