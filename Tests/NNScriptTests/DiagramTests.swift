import Foundation
import NNRaster
import NNRuntime
import Testing

@testable import NNScript

/// `diagram(net, file:)`: the SVG holds one box per layer (a block's layers and the backward
/// boxes included), the layers' names escaped, and parses as XML; a PNG decodes to the
/// picture's natural size or the one asked for. The terminal pictures and the Mermaid text are
/// covered by the golden scripts in `Golden/diagram/`.
@Suite("DiagramTests")
struct DiagramTests {
  static let mlp = "let net = model(2) { dense(8, tanh); dense(8, relu); dense(1, sigmoid) }\n"
  static let block = """
    model res(4) { dense(4, relu); residual { dense(4, tanh); dense(4) }; dropout(0.5); dense(1) }

    """

  /// Runs `script` in a fresh working directory and returns the bytes of the file it writes.
  private func written(_ script: String, file: String) throws -> [UInt8] {
    let folder = try TemporaryFolder()
    let output = OutputBuffer()
    let interpreter = Interpreter(options: InterpreterOptions(
      output: { output.append($0) }, workingDirectory: folder.path))
    try interpreter.run(script, name: "diagram.nn")
    #expect(output.text.isEmpty, "writing a file prints nothing")
    return Array(try Data(contentsOf: URL(fileURLWithPath: folder.path + "/" + file)))
  }

  private func count(_ element: String, in svg: String) -> Int {
    svg.components(separatedBy: "<\(element) ").count - 1
  }

  @Test("forward only: the background and one box for the input and each layer")
  func forwardBoxes() throws {
    let bytes = try written(Self.mlp + "diagram(net, file: \"d.svg\")", file: "d.svg")
    let svg = String(decoding: bytes, as: UTF8.self)
    #expect(PlotTests.parsesAsXML(Data(bytes)))
    #expect(count("rect", in: svg) == 1 + 1 + 3)
    for name in ["dense1", "dense2", "dense3", "total  105 parameters"] {
      #expect(svg.contains(">" + name), "\(name) is drawn")
    }
    #expect(svg.contains("viewBox=\"0 0 "))
    #expect(count("line", in: svg) == 3, "one arrow between each pair of boxes")
  }

  @Test("backward: a δ box beside each layer, the loss, and the arrows between them")
  func backwardBoxes() throws {
    let bytes = try written(Self.block + "diagram(res, backward: true, file: \"d.svg\")",
                            file: "d.svg")
    let svg = String(decoding: bytes, as: UTF8.self)
    #expect(PlotTests.parsesAsXML(Data(bytes)))
    // The background; the input, 4 layers, the block's 2 and the loss forward; 6 δ boxes.
    #expect(count("rect", in: svg) == 1 + 1 + 4 + 2 + 1 + 4 + 2)
    #expect(svg.contains("δ dense3 = ∂L/∂a  [4]"))
    #expect(svg.contains("W ← W − lr·∂L/∂W"))
    #expect(svg.contains("marker-end=\"url(#backward)\""))
  }

  @Test("names holding markup are escaped, and the SVG still parses")
  func escapedText() throws {
    let model = try Self.model(Self.mlp + "net")
    let network = model.network
    var layers = network.layers
    layers[0].name = "<a & \"b\">"
    let renamed = ModelObject(
      name: "x<y", network: Network(inputShape: network.inputShape, layers: layers,
                                    parameterNames: network.parameterNames,
                                    parameters: network.parameters),
      tagLocations: model.tagLocations)
    let svg = NetworkDiagram(renamed, backward: true).svg(width: 640, height: 400)
    #expect(svg.contains(">&lt;a &amp; &quot;b&quot;&gt;  dense(8, tanh)"))
    #expect(svg.contains(">model x&lt;y: forward, errors back, updates</text>"))
    #expect(!svg.contains("<a &"))
    #expect(PlotTests.parsesAsXML(Data(svg.utf8)))
  }

  @Test("a PNG decodes to the diagram's natural size, or to the size asked for")
  func pngSize() throws {
    let model = try Self.model(Self.mlp + "net")
    let natural = NetworkDiagram(model, backward: false).pixelSize
    let png = try written(Self.mlp + "diagram(net, file: \"d.png\")", file: "d.png")
    #expect(PNGRaster.size(png: png).map { [$0.width, $0.height] }
              == [natural.width, natural.height])
    let asked = try written(Self.mlp + "diagram(net, file: \"d.png\", width: 300, height: 500)",
                            file: "d.png")
    #expect(PNGRaster.size(png: asked).map { [$0.width, $0.height] } == [300, 500])
  }

  @Test("the natural size grows with the layers and with the backward column")
  func naturalSize() throws {
    let small = try Self.model("model(2) { dense(1) }")
    let deep = try Self.model("model(2) { for i in 0..<12 { dense(4, relu) }; dense(1) }")
    let (smallSize, deepSize) = (NetworkDiagram(small, backward: false).pixelSize,
                                 NetworkDiagram(deep, backward: false).pixelSize)
    #expect(deepSize.height > smallSize.height + 12 * 40)
    let backward = NetworkDiagram(deep, backward: true).pixelSize
    #expect(backward.width > deepSize.width && backward.height > deepSize.height)
    #expect(NetworkDiagram(deep, backward: false).terminalSize.height
            == 1 + 14 * 3 + 13 + 1, "title, 14 boxes of 3 lines, 13 arrows, total")
  }

  @Test("format: \"mermaid\" returns text that write saves as it stands")
  func mermaidWrite() throws {
    let bytes = try written(
      Self.mlp + "write(\"net.md\", diagram(net, backward: true, format: \"mermaid\"))",
      file: "net.md")
    let text = String(decoding: bytes, as: UTF8.self)
    #expect(text.hasPrefix("graph TD\n    F0(\"input  [2]\")\n"))
    #expect(text.contains("    F3 --> LOSS("))
    #expect(text.contains("    E1 --> U1_1(\"dense1 weight update: W ← W − lr·∂L/∂W\")"))
    #expect(text.contains("    U1_1 --> U1_2(\"dense1 bias update: b ← b − lr·∂L/∂b\")"))
  }

  /// The model a script's last expression gives.
  private static func model(_ script: String) throws -> ModelObject {
    let value = try Interpreter(options: InterpreterOptions()).evaluate(script)
    guard case .object(let model as ModelObject) = value else {
      throw ScriptFailure(message: "not a model: \(value)")
    }
    return model
  }

  private struct ScriptFailure: Error { let message: String }
}
