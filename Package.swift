// swift-tools-version: 6.0
import PackageDescription

let package = Package(
  name: "nn",
  platforms: [.macOS(.v13)],
  products: [
    .executable(name: "nn", targets: ["NNCommand"]),
    .library(name: "NNScript", targets: ["NNScript"]),
    // The runtime alone (tensors, graphs, plans, training), for Swift tools that build networks
    // without the language, and for the benchmarks in Benchmarks/.
    .library(name: "NNRuntime", targets: ["NNRuntime"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
  ],
  targets: [
    .systemLibrary(
      name: "CBLAS",
      providers: [.apt(["libopenblas-dev"])]
    ),
    .systemLibrary(
      name: "CReadline",
      providers: [.apt(["libreadline-dev"])]
    ),
    .target(name: "NNSyntax"),
    .target(name: "NNRuntime", dependencies: ["CBLAS"]),
    .target(
      name: "NNScript", dependencies: ["NNSyntax", "NNRuntime"],
      resources: [.copy("Resources")]
    ),
    .executableTarget(
      name: "NNCommand",
      dependencies: [
        "NNScript",
        "CReadline",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    // The embedding example (examples/embed): a host program using only the library product.
    .executableTarget(name: "EmbedExample", dependencies: ["NNScript"], path: "examples/embed"),
    .testTarget(name: "NNSyntaxTests", dependencies: ["NNSyntax"]),
    .testTarget(name: "NNRuntimeTests", dependencies: ["NNRuntime"], exclude: ["Fixtures"]),
    .testTarget(
      name: "NNScriptTests",
      dependencies: ["NNScript", "NNSyntax", "NNRuntime"],
      exclude: ["Golden", "Fixtures"]
    ),
    .testTarget(name: "NNCommandTests", dependencies: ["NNScript"]),
  ]
)
