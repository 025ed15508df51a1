// swift-tools-version: 6.1
// Benchmarks for nn, kept out of the root package so that its build and CI need neither
// ordo-one/benchmark nor its malloc interposer. Run with scripts/bench-malloc (see README.md).
import PackageDescription

let package = Package(
  name: "nn-benchmarks",
  platforms: [.macOS(.v13)],
  dependencies: [
    .package(name: "nn", path: ".."),
    // The interposer counts malloc calls without jemalloc.
    .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1",
             traits: ["MallocInterposer"]),
  ],
  targets: [
    .executableTarget(
      name: "Training",
      dependencies: [
        .product(name: "NNRuntime", package: "nn"),
        .product(name: "NNScript", package: "nn"),
        .product(name: "Benchmark", package: "benchmark"),
      ],
      path: "Benchmarks/Training",
      plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
    ),
  ]
)
