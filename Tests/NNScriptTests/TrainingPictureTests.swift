import Foundation
import NNRaster
import NNRuntime
import Testing

#if canImport(FoundationXML)
import FoundationXML
#endif

@testable import NNScript

/// The pictures of training (`boundary`, `lr_find`, `watch: [gradients]`) and the PNG output
/// every picture shares. Terminal output is covered by `Golden/training_pictures/`.
@Suite("TrainingPictureTests")
struct TrainingPictureTests {
  static func count(_ text: String, _ needle: String) -> Int {
    text.components(separatedBy: needle).count - 1
  }

  @Test("a boundary SVG has one panel per model, one dot per point, the wrong ones marked")
  func boundarySVG() throws {
    let workspace = try Workspace()
    try workspace.run("""
      seed(0)
      let data = circles(n: 40, seed: 2)
      let net = model(2) { dense(8, tanh); dense(1, sigmoid) }
      let h = train net on data { optimizer: adam(lr: 0.05); epochs: 9; snapshots: 3
                                  progress: false }
      boundary(h, data, title: "a <b>", file: "b.svg")
      """)
    let svg = try String(contentsOfFile: workspace.path("b.svg"), encoding: .utf8)
    #expect(Self.count(svg, #"<g class="panel""#) == 3)
    #expect(Self.count(svg, #"class="point""#) + Self.count(svg, #"class="wrong""#) == 3 * 40)
    #expect(svg.contains("epoch 3: ") && svg.contains("epoch 9: ") && svg.contains("a &lt;b&gt;"))
    // The captions' counts of wrong points are the marked dots.
    var marked = 0
    for panel in svg.components(separatedBy: #"<g class="panel""#).dropFirst() {
      let caption = panel.components(separatedBy: "wrong</text>")[0]
      let number = caption.components(separatedBy: ": ").last!.components(separatedBy: " of")[0]
      #expect(Int(number) == Self.count(panel, #"class="wrong""#))
      marked += Self.count(panel, #"class="wrong""#)
    }
    #expect(marked > 0, "nine epochs leave some circles points wrong")
    #expect(XMLParser(data: Data(svg.utf8)).parse())
  }

  @Test("a PNG decodes to the picture's size, with the regions painted")
  func boundaryPNG() throws {
    let workspace = try Workspace()
    try workspace.run("""
      seed(0)
      let net = model(2) { dense(1, sigmoid) }
      boundary(net, xor(), file: "b.png")
      boundary(net, xor(), file: "small.png", width: 300, height: 320)
      plot([1, 2, 3], file: "p.png", width: 320, height: 200)
      """)
    let png = try [UInt8](Data(contentsOf: URL(fileURLWithPath: workspace.path("b.png"))))
    let size = try #require(PNGRaster.size(png: png))
    #expect(size.width == 480 && size.height == 514)
    // The middle of the plane is a class's tint, not the white background.
    let centre = try #require(PNGRaster.pixel(png: png, x: 280, y: 260))
    #expect(!(centre.0 == 255 && centre.1 == 255 && centre.2 == 255))
    let small = try [UInt8](Data(contentsOf: URL(fileURLWithPath: workspace.path("small.png"))))
    #expect(PNGRaster.size(png: small).map { [$0.width, $0.height] } == [300, 320])
    let plot = try [UInt8](Data(contentsOf: URL(fileURLWithPath: workspace.path("p.png"))))
    #expect(PNGRaster.size(png: plot).map { [$0.width, $0.height] } == [320, 200])
    #expect(PNGRaster.size(png: Array(plot.prefix(40))) == nil, "a truncated PNG")
  }

  @Test("lr_find's rates rise exponentially and its losses are smoothed as fastai does")
  func learningRateFinder() throws {
    let workspace = try Workspace()
    let result = try workspace.run("""
      seed(0)
      let net = model(2) { dense(8, relu); dense(1, sigmoid) }
      lr_find(net, moons(n: 64, seed: 1), loss: bce, batch: 16, from: 1e-5, to: 1, steps: 30,
              seed: 2, plot: false)
      """)
    guard case .record(let record) = result,
      case .tensor(let rates)? = record["lr"], case .tensor(let losses)? = record["loss"],
      case .tensor(let smoothed)? = record["smoothed"]
    else {
      Issue.record("lr_find returned \(result)")
      return
    }
    #expect(rates.count == losses.count && losses.count == smoothed.count)
    for (i, rate) in rates.scalars.enumerated() {
      let expected = 1e-5 * pow(1e5, Double(i) / 29)
      #expect(abs(Double(rate) - expected) <= 1e-6 * expected)
    }
    var average = 0.0
    for (i, loss) in losses.scalars.enumerated() {
      average = 0.98 * average + 0.02 * Double(loss)
      let expected = average / (1 - pow(0.98, Double(i + 1)))
      #expect(abs(Double(smoothed.scalars[i]) - expected) <= 1e-5 * abs(expected))
    }
  }

  @Test("gradients(net, data) is the norm of each layer's gradient from grad")
  func gradientNorms() throws {
    let workspace = try Workspace()
    try workspace.run("""
      seed(0)
      let data = moons(n: 20, seed: 1)
      let net = model(2) { dense(5, tanh); dense(1, sigmoid) }
      let g = grad(net, data.x, reshape(data.y, [20, 1]), loss: bce)
      let norms = gradients(net, data, loss: bce)
      """)
    for layer in ["dense1", "dense2"] {
      let squares = "sum(g.\(layer).weight ^ 2) + sum(g.\(layer).bias ^ 2)"
      guard case .number(let fromGrad) = try workspace.run("sqrt(\(squares))"),
        case .number(let norm) = try workspace.run("norms.\(layer)")
      else {
        Issue.record("the norms of \(layer) are not numbers")
        continue
      }
      #expect(fromGrad > 0 && abs(norm - fromGrad) <= 1e-5 * fromGrad)
    }
  }
}
