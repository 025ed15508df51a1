import NNSyntax

extension Builtins {
  /// `diagram(net, backward:, format:, file:, width:, height:, every_rank:)`: the network's
  /// layers as a chain of boxes — the input, each layer's name, declaration, output shape and
  /// parameters, a block's layers inside its box, the total.
  ///
  /// - `backward: true` adds the seed tutorial's chart: the error δ flowing back from the loss
  ///   layer by layer (through each activation's derivative), the gradients
  ///   `∂L/∂W = δ·inputᵀ` and `∂L/∂b = δ`, the δ handed to the layer before (`Wᵀδ`), and each
  ///   parameter's update (`W ← W − lr·∂L/∂W`); layers without parameters only pass δ back.
  /// - `format: "text"` (the default) draws it in the output, or with `file:` writes an SVG or
  ///   PNG (told by the extension) whose natural size fits the boxes; `width:` and `height:`
  ///   scale the picture to that many pixels. In the output, `width:` is the boxes' width in
  ///   cells (a longer line ends in "…"), and the height is what the boxes take.
  /// - `format: "mermaid"` returns Mermaid text (`graph TD`, the seed's style) instead of
  ///   drawing, so `write("net.md", diagram(net, format: "mermaid"))` saves it; it takes no
  ///   `file:`, `width:` or `height:`.
  static let diagrams: [Builtin] = [
    Builtin(
      "diagram",
      [
        .required("net", .model, "the model"),
        .flag("backward", false, "also draw the errors flowing back and the updates"),
        Parameter("format", .string, default: .string("text"), "\"text\" or \"mermaid\""),
      ] + Parameter.pictureOutput(
        width: "what the boxes need", height: "what the boxes need"),
      doc: BuiltinDoc(
        "plots and files",
        "Draws a network's layers as boxes; backward: true adds its errors and updates.",
        "diagram(model(2) { dense(8, tanh); dense(1, sigmoid) }, backward: true)\n"
          + "print(diagram(model(2) { dense(1) }, format: \"mermaid\"))"),
      discardable: true
    ) { (context) throws(Diagnostic) in
      let model = try context.model("net")
      let diagram = NetworkDiagram(model, backward: try context.bool("backward"))
      switch try context.string("format") {
      case "text":
        try context.show(diagram)
        return .nil
      case "mermaid":
        for name in ["file", "width", "height"] {
          if let value = context.value(name), !value.isNil {
            throw context.error(
              .invalidArgument,
              "format: \"mermaid\" returns the text rather than drawing it, so it takes no "
                + "\(name):", at: name,
              hint: name == "file"
                ? "write(\"net.md\", diagram(net, format: \"mermaid\"))" : nil)
          }
        }
        return .string(DiagramMermaid(diagram: diagram).render())
      case let other:
        throw context.error(
          .invalidArgument,
          "a diagram's format is \"text\" or \"mermaid\", not \"\(singleLine(other))\"",
          at: "format")
      }
    },
  ]
}
