// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "GaussianMixtures",
    products: [
        .library(name: "GaussianMixtures", targets: ["GaussianMixtures"]),
        .library(name: "GaussianMixturesIO", targets: ["GaussianMixturesIO"]),
        .executable(name: "gmm", targets: ["gmm"]),
        // libgaussianmixtures.so: the C interface (gaussian_mixtures.h), installed by scripts/install-c.
        .library(name: "gaussianmixtures", type: .dynamic, targets: ["GaussianMixturesC"]),
    ],
    // `swift build --traits MPI`: `mpirun -np P gmm fit` spreads the rows over P processes
    // (docs/DISTRIBUTED.md); needs Open MPI (Debian's libopenmpi-dev, `scripts/setup --mpi`).
    traits: [
        .trait(name: "MPI", description: "Fits across processes and hosts with Open MPI (mpirun -np P gmm fit)"),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // LAPACKE + OpenBLAS from Debian's liblapacke-dev and libopenblas-dev.
        // Debian's OpenBLAS exports no LAPACKE_* symbols, so both libraries are linked.
        .systemLibrary(
            name: "CLAPACK",
            pkgConfig: "openblas lapacke",
            providers: [.apt(["liblapacke-dev", "libopenblas-dev"])]
        ),
        // The engine's C kernels, internal (AVX2 code chosen at run time): exp and log-sum-exp,
        // quadratic features, k-means and k-means++, the fused E-step chunk.
        .target(name: "CGaussianMixturesKernels", exclude: ["README.md"]),
        .target(
            name: "GaussianMixtures",
            dependencies: ["CLAPACK", "CGaussianMixturesKernels"],
            linkerSettings: [.linkedLibrary("lapacke"), .linkedLibrary("openblas")]
        ),
        // Signal handlers (C, async-signal-safe): temporaries removed on SIGINT/SIGTERM/SIGHUP, a
        // SIGBUS in a memory-mapped input reported with the file's name.
        .target(name: "FileGuard"),
        // File formats: CSV, NPY (memory-mapped), the JSON model file, atomic outputs.
        .target(name: "GaussianMixturesIO", dependencies: ["GaussianMixtures", "FileGuard"]),
        // SVG figures: drawing primitives, axes with round ticks, legend, palette; no maths of the model.
        .target(name: "GaussianMixturesPlot"),
        // Open MPI (pkg-config ompi-c), with inline functions returning its handles; used only
        // under the MPI trait.
        .systemLibrary(name: "CMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev"])]),
        // The `gmm` command's logic, a library so tests can parse and run it in-process.
        .target(
            name: "GaussianMixturesCLI",
            dependencies: [
                "GaussianMixtures", "GaussianMixturesIO", "GaussianMixturesPlot",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .target(name: "CMPI", condition: .when(traits: ["MPI"])),
            ]
        ),
        .executableTarget(name: "gmm", dependencies: ["GaussianMixturesCLI"]),
        // The C header (include/gaussian_mixtures.h) and the options' defaults in C.
        .target(name: "CGaussianMixtures"),
        // The C interface's functions (@_cdecl): every error and bad pointer becomes a status code.
        .target(name: "GaussianMixturesC", dependencies: ["CGaussianMixtures", "GaussianMixtures", "GaussianMixturesIO"]),
        // Seconds per EM iteration, LAPACK path against the naive path: `swift run -c release gmm-bench`.
        .executableTarget(
            name: "gmm-bench",
            dependencies: ["GaussianMixtures", "GaussianMixturesIO", "CLAPACK",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Benchmarks/GMMBench"
        ),
        // The readers of untrusted bytes under libFuzzer (scripts/fuzz), or replaying inputs.
        .executableTarget(name: "gmm-fuzz", dependencies: ["GaussianMixtures", "GaussianMixturesIO"], path: "Fuzz/GMMFuzz"),
        .testTarget(
            name: "GaussianMixturesIOTests",
            dependencies: ["GaussianMixturesIO", "gmm-fuzz"],
            resources: [.copy("FuzzRegressions")]
        ),
        .testTarget(name: "GaussianMixturesPlotTests", dependencies: ["GaussianMixturesPlot"]),
        .testTarget(name: "GaussianMixturesCLITests", dependencies: ["GaussianMixturesCLI", "GaussianMixturesIO", "gmm"]),
        .testTarget(
            name: "GaussianMixturesTests",
            dependencies: ["GaussianMixtures"],
            resources: [.copy("Fixtures")]
        ),
    ]
)
