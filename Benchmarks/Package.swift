// swift-tools-version: 6.1
// Benchmarks live in their own package so the library never depends on benchmark code.
import PackageDescription

let package = Package(
    name: "GeoFilterBenchmarks",
    dependencies: [.package(name: "GeoFilter", path: "..")],
    targets: [
        .executableTarget(
            name: "geofilter-bench",
            dependencies: [
                .product(name: "GeoFilterCore", package: "GeoFilter"),
                .product(name: "GeoFilterBundledData", package: "GeoFilter"),
            ],
            path: "Sources/geofilter-bench"
        )
    ],
    swiftLanguageModes: [.v6]
)
