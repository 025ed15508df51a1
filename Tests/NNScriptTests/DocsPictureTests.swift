import Foundation
import Testing

@testable import NNScript

/// The pictures in `docs/pictures/` are what their scripts make: each `docs/pictures/X.nn`
/// runs in a fresh folder, and every SVG it writes must equal the committed file of that name
/// byte for byte (`NN_RECORD_GOLDEN=1` copies them back, like the goldens). So a change to a
/// picture shows in the docs' diff, and the docs never show a picture nn no longer draws.
@Suite("DocsPictureTests")
struct DocsPictureTests {
  static let folder: String = {
    URL(fileURLWithPath: Golden.root).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("docs/pictures").path
  }()

  static let scripts: [String] = {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
    return names.filter { $0.hasSuffix(".nn") }.sorted()
  }()

  @Test("docs/pictures has scripts")
  func hasScripts() {
    #expect(Self.scripts.count >= 3)
  }

  @Test("each docs picture is what its script draws", arguments: scripts)
  func pictureMatches(_ script: String) throws {
    let workspace = try Workspace()
    let source = try String(contentsOfFile: Self.folder + "/" + script, encoding: .utf8)
    try source.write(toFile: workspace.path(script), atomically: true, encoding: .utf8)
    try workspace.interpreter.runFile(workspace.path(script))
    let written = try FileManager.default.contentsOfDirectory(atPath: workspace.folder)
      .filter { $0.hasSuffix(".svg") }.sorted()
    #expect(!written.isEmpty, "\(script) writes no SVG")
    let record = ProcessInfo.processInfo.environment["NN_RECORD_GOLDEN"] != nil
    for name in written {
      let made = try Data(contentsOf: URL(fileURLWithPath: workspace.path(name)))
      let committed = Self.folder + "/" + name
      if record {
        try made.write(to: URL(fileURLWithPath: committed))
        continue
      }
      let expected = try? Data(contentsOf: URL(fileURLWithPath: committed))
      #expect(expected == made,
              "docs/pictures/\(name) is not what \(script) draws: record with NN_RECORD_GOLDEN=1")
    }
  }
}
