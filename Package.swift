// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "GaussianMixtures",
    products: [
        .library(name: "GaussianMixtures", targets: ["GaussianMixtures"]),
    ],
    targets: [
        // LAPACKE + OpenBLAS from Debian's liblapacke-dev and libopenblas-dev.
        // Debian's OpenBLAS exports no LAPACKE_* symbols, so both libraries are linked.
        .systemLibrary(
            name: "CLAPACK",
            pkgConfig: "openblas lapacke",
            providers: [.apt(["liblapacke-dev", "libopenblas-dev"])]
        ),
        .target(
            name: "GaussianMixtures",
            dependencies: ["CLAPACK"],
            linkerSettings: [.linkedLibrary("lapacke"), .linkedLibrary("openblas")]
        ),
        .testTarget(
            name: "GaussianMixturesTests",
            dependencies: ["GaussianMixtures"],
            resources: [.copy("Fixtures")]
        ),
    ]
)
