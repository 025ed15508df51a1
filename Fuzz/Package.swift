// swift-tools-version: 6.0
// libFuzzer targets for nn (docs/robustness.md, "Fuzzing"). A separate package because a fuzz
// target is an executable target of exactly one file without main.swift, which a plain
// `swift build` of the root package cannot link. Build and run them with `scripts/fuzz`.
import PackageDescription

let package = Package(
  name: "NNFuzz",
  platforms: [.macOS(.v13)],
  dependencies: [.package(name: "nn", path: "..")],
  targets: [
    .executableTarget(
      name: "FuzzParser", dependencies: [.product(name: "NNScript", package: "nn")]),
    .executableTarget(
      name: "FuzzEvaluator", dependencies: [.product(name: "NNScript", package: "nn")]),
    .executableTarget(
      name: "FuzzSafetensors", dependencies: [.product(name: "NNRuntime", package: "nn")]),
    .executableTarget(
      name: "FuzzCSV", dependencies: [.product(name: "NNRuntime", package: "nn")]),
    .executableTarget(
      name: "FuzzONNX", dependencies: [
        .product(name: "NNONNX", package: "nn"), .product(name: "NNRuntime", package: "nn"),
      ]),
  ]
)
