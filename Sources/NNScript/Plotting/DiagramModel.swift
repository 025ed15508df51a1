// What `diagram(net)` shows, worked out once from the network and drawn three ways (terminal,
// SVG, Mermaid): each layer's forward line, and for `backward: true` the error δ it passes
// back and the updates of its parameters, in the words of the seed tutorial's chart.

import NNRuntime

/// One layer of a network's diagram: its forward box, its backward box and its updates.
struct DiagramLayer {
  /// The layer's name (`dense1`).
  let name: String
  /// The columns of its forward line: name, declaration, output shape, parameters.
  let columns: [String]
  /// A block's layers, drawn inside its box.
  let inner: [DiagramLayer]
  /// The backward box: the error δ at the layer, the gradients, the δ passed on.
  let errorLines: [String]
  /// The updates of its trained parameters (`W ← W − lr·∂L/∂W`); empty when it has none.
  let updates: [String]
}

/// A network's layers as a diagram: the input, each layer, the total, and the loss the errors
/// flow back from.
struct NetworkDiagram {
  let modelName: String
  let inputShape: [Int]
  let layers: [DiagramLayer]
  let parameterCount: Int
  /// Whether the errors flowing back and the updates are drawn.
  let backward: Bool

  init(_ model: ModelObject, backward: Bool) {
    let network = model.network
    modelName = model.name
    inputShape = network.inputShape
    parameterCount = network.parameterCount
    self.backward = backward
    var layers: [DiagramLayer] = []
    for (index, layer) in network.layers.enumerated() {
      let before = index == 0 ? nil : network.layers[index - 1].name
      layers.append(Self.layer(layer, in: network, passingTo: before))
    }
    self.layers = layers
  }

  /// The input box's line.
  var inputLine: String { "input  \(shapeText(inputShape))" }
  /// The line under the last layer.
  var totalLine: String {
    "total  \(Evaluator.count(parameterCount, "parameter"))"
  }
  /// The title above the picture.
  var title: String {
    "model \(modelName)" + (backward ? ": forward, errors back, updates" : "")
  }
  /// The box the backward pass starts from.
  var lossLines: [String] {
    ["loss L", "δ = ∂L/∂output  \(lastShape)"]
  }

  /// A layer's boxes; `previous` is the layer its δ goes back to (nil for the first).
  private static func layer(
    _ layer: Layer, in network: Network, passingTo previous: String?
  ) -> DiagramLayer {
    let parameters = ModelSummary.parameterCount(of: layer, in: network)
    let inner = layer.body.enumerated().map { index, body in
      Self.layer(body, in: network,
                 passingTo: index == 0 ? previous : layer.body[index - 1].name)
    }
    let columns = [
      layer.name, layer.summary, shapeText(layer.outputShape),
      parameters == 0 ? "" : Evaluator.count(parameters, "param"),
    ]
    return DiagramLayer(
      name: layer.name, columns: columns, inner: inner,
      errorLines: errorLines(layer, in: network, passingTo: previous),
      updates: layer.body.isEmpty ? updates(layer) : [])
  }

  /// The δ at the layer (through its activation's derivative), the gradient of each trained
  /// parameter, and the δ it hands to the layer before.
  private static func errorLines(
    _ layer: Layer, in network: Network, passingTo previous: String?
  ) -> [String] {
    let output = shapeText(layer.outputShape)
    let input = shapeText(layer.inputShape)
    // The first layer's δ goes no further: nothing before it learns.
    let target = "δ to \(previous ?? "input")"
    if !layer.body.isEmpty {
      let names = layer.body.map(\.name).joined(separator: ", ")
      let lines = ["δ \(layer.name) = ∂L/∂a  \(output)", "back through \(names), plus the skip"]
      return lines + (previous == nil ? [] : ["\(target) = δ + bodyᵀδ  \(input)"])
    }
    var lines: [String]
    if let activation = activation(of: layer), activation != .identity {
      lines = ["δ \(layer.name) = ∂L/∂a ⊙ \(activation.name)′(z)  \(output)"]
    } else {
      lines = ["δ \(layer.name) = ∂L/∂a  \(output)"]
    }
    let trained = layer.parameters.filter { $0.role != .buffer }
    guard !trained.isEmpty else {
      return lines + (previous == nil ? [] : ["\(target): \(passedBack(layer))  \(input)"])
    }
    if trained.count > maxListedParameters {
      let count = trained.map { network.parameters.count(of: $0.index) }.reduce(0, +)
      lines.append("∂L/∂θ = δ·∂a/∂θ for its \(trained.count) tensors θ, "
                     + Evaluator.count(count, "param"))
    } else {
      for parameter in trained {
        let shape = shapeText(network.parameters.shapes[parameter.index])
        lines.append("∂L/∂\(symbol(parameter.name)) = \(gradient(of: parameter.name, layer))"
                       + "  \(shape)")
      }
    }
    if previous != nil {
      let back = switch layer.declaration {
      case is Dense: "Wᵀδ"
      case is Conv2D, is Conv1D: "Wᵀ ⋆ δ, a transposed convolution"
      default: "(∂a/∂input)ᵀδ"
      }
      lines.append("\(target) = \(back)  \(input)")
    }
    return lines
  }

  /// Where a layer without parameters sends δ.
  private static func passedBack(_ layer: Layer) -> String {
    let kind = layer.declaration.kindName
    if kind.contains("maxpool") { return "δ to each window's maximum" }
    if kind.contains("avgpool") { return "δ shared evenly over each window" }
    switch kind {
    case "flatten", "reshape": return "δ reshaped"
    case "dropout": return "δ where units were kept, scaled"
    default: return "δ passed back"
    }
  }

  /// The most parameters a layer's box lists one by one; an attention or transformer layer's
  /// many tensors are summed up as θ.
  private static let maxListedParameters = 3

  /// One gradient-descent step per trained parameter.
  private static func updates(_ layer: Layer) -> [String] {
    let trained = layer.parameters.filter { $0.role != .buffer }
    if trained.count > maxListedParameters { return ["θ ← θ − lr·∂L/∂θ for each θ"] }
    return trained.map { parameter in
      let name = symbol(parameter.name)
      return "\(name) ← \(name) − lr·∂L/∂\(name)"
    }
  }

  /// The seed's letters for a weight and a bias; other parameters keep their names.
  private static func symbol(_ parameter: String) -> String {
    switch parameter {
    case "weight": "W"
    case "bias": "b"
    default: parameter
    }
  }

  /// How a parameter's gradient is formed from δ.
  private static func gradient(of parameter: String, _ layer: Layer) -> String {
    switch (parameter, layer.declaration) {
    case ("weight", is Dense): "δ·inputᵀ"
    case ("bias", is Dense): "δ"
    case ("bias", is Conv2D), ("bias", is Conv1D): "Σ δ"
    case ("weight", is Conv2D), ("weight", is Conv1D): "input ⋆ δ"
    case ("weight", is Embedding): "δ added to the rows of the input's ids"
    default: "δ·∂a/∂\(symbol(parameter))"
    }
  }

  /// The activation a layer applies last, if its kind has one.
  private static func activation(of layer: Layer) -> Activation? {
    switch layer.declaration {
    case let dense as Dense: dense.activation
    case let conv as Conv2D: conv.activation
    case let conv as Conv1D: conv.activation
    case let activation as ActivationLayer: activation.activation
    default: nil
    }
  }
}

extension DiagramLayer {
  /// The layer's output shape, as its forward line shows it.
  var outputShape: String { columns[2] }
}

extension NetworkDiagram {
  /// The output shape the loss sees.
  var lastShape: String { layers.last?.outputShape ?? shapeText(inputShape) }
}

extension NetworkDiagram: Picture {
  /// As wide as the longest line; the height is what the boxes take.
  var terminalSize: (width: Int, height: Int) {
    let width = DiagramTerminal.naturalWidth(self)
    return (width, DiagramTerminal(diagram: self, width: width).render().count { $0 == "\n" })
  }

  /// The size the boxes need, so a bigger network gets a bigger picture.
  var pixelSize: (width: Int, height: Int) { DiagramSVG(diagram: self).naturalSize }

  /// The boxes `width` cells wide; a diagram is as tall as its boxes, whatever `height` is.
  func terminal(width: Int, height: Int) -> String {
    DiagramTerminal(diagram: self, width: width).render()
  }

  /// The drawing scaled to `width`×`height` pixels (its own proportions kept).
  func svg(width: Int, height: Int) -> String {
    DiagramSVG(diagram: self).render(width: width, height: height)
  }
}
