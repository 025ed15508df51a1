import Testing
@testable import NNRuntime

// The batched convolution kernels against the definition written as loops, in Float and Double
// plans, with chunks of one sample, of a few (a remainder chunk at the end) and of the whole
// batch, so that every chunk boundary and the scratch layout of several samples are exercised.

struct ConvolutionShape: CustomStringConvertible, Sendable {
  var batch: Int
  var input: [Int]
  var filters: Int
  var kernel: [Int]
  var stride: [Int]
  var same: Bool
  var description: String {
    "batch \(batch), \(input), \(filters) filters \(kernel) stride \(stride) "
      + (same ? "same" : "valid")
  }

  var geometry: ConvolutionGeometry {
    ConvolutionGeometry(input: input, filters: filters, kernel: kernel, stride: stride,
                        same: same)
  }
}

private let shapes = [
  ConvolutionShape(batch: 5, input: [3, 7, 6], filters: 4, kernel: [3, 3], stride: [1, 1],
                   same: true),
  ConvolutionShape(batch: 5, input: [2, 9, 8], filters: 3, kernel: [3, 2], stride: [2, 2],
                   same: true),
  ConvolutionShape(batch: 4, input: [2, 8, 9], filters: 3, kernel: [3, 3], stride: [2, 1],
                   same: false),
  ConvolutionShape(batch: 1, input: [1, 5, 5], filters: 2, kernel: [2, 2], stride: [1, 1],
                   same: false),
  // A kernel wider than the input: some kernel columns never meet it.
  ConvolutionShape(batch: 3, input: [2, 3, 2], filters: 2, kernel: [5, 5], stride: [1, 2],
                   same: true),
  ConvolutionShape(batch: 2, input: [1, 3, 2], filters: 2, kernel: [5, 4], stride: [1, 1],
                   same: true),
  ConvolutionShape(batch: 3, input: [2, 6, 7], filters: 3, kernel: [5, 5], stride: [1, 1],
                   same: true),
]

/// Deterministic values in [−1, 1].
private func values(_ count: Int, seed: Int) -> [Double] {
  (0..<count).map { Double(($0 * 7_919 + seed * 104_729) % 2_001) / 1_000 - 1 }
}

/// y, dx and dW of `shape` by the definition, for upstream gradient `g`.
private func reference(
  _ shape: ConvolutionShape, x: [Double], w: [Double], b: [Double], g: [Double]
) -> (y: [Double], dx: [Double], dw: [Double]) {
  let c = shape.geometry
  var y = [Double](repeating: 0, count: shape.batch * c.filters * c.positions)
  var dx = [Double](repeating: 0, count: x.count)
  var dw = [Double](repeating: 0, count: w.count)
  for n in 0..<shape.batch {
    for f in 0..<c.filters {
      for oy in 0..<c.outHeight {
        for ox in 0..<c.outWidth {
          let o = ((n * c.filters + f) * c.outHeight + oy) * c.outWidth + ox
          var total = b[f]
          for ch in 0..<c.inChannels {
            for ki in 0..<c.kernelHeight {
              for kj in 0..<c.kernelWidth {
                let iy = oy * c.strideY - c.padTop + ki
                let ix = ox * c.strideX - c.padLeft + kj
                guard iy >= 0, iy < c.height, ix >= 0, ix < c.width else { continue }
                let i = ((n * c.inChannels + ch) * c.height + iy) * c.width + ix
                let k = ((f * c.inChannels + ch) * c.kernelHeight + ki) * c.kernelWidth + kj
                total += w[k] * x[i]
                dx[i] += w[k] * g[o]
                dw[k] += x[i] * g[o]
              }
            }
          }
          y[o] = total
        }
      }
    }
  }
  return (y, dx, dw)
}

/// Runs one kernel of `mode` in precision T with chunks of `chunk` samples, the batch shared
/// between `workers` threads (inline when the process has one: the shares, their scratch and
/// the weight gradient's partial sums are the same).
private func run<T: PlanScalar>(
  _: T.Type, _ mode: ConvolutionKernel<T>.Mode, _ shape: ConvolutionShape, chunk: Int,
  workers: Int, activation: Activation? = nil, _ first: [Double], _ second: [Double],
  bias: [Double]?, outputCount: Int
) -> [Double] {
  let c = shape.geometry
  func buffer(_ values: [Double]) -> UnsafeMutablePointer<T> {
    let p = UnsafeMutablePointer<T>.allocate(capacity: Swift.max(values.count, 1))
    for (i, v) in values.enumerated() { p[i] = T(v) }
    return p
  }
  let (a, b, bias) = (buffer(first), buffer(second), bias.map(buffer))
  let output = buffer(Array(repeating: 7, count: outputCount))
  defer { for p in [a, b, output] + (bias.map { [$0] } ?? []) { p.deallocate() } }
  let kernel = ConvolutionKernel(
    mode: mode, geometry: c, batch: shape.batch, first: a, second: b, bias: bias,
    activation: activation, output: output,
    chunkElements: chunk * (c.patchSize + c.filters) * c.positions, workers: workers)
  let shared = Swift.max(1, Swift.min(workers, shape.batch))
  #expect(kernel.workers == shared)
  #expect(kernel.chunk == Swift.max(1, Swift.min(chunk, (shape.batch + shared - 1) / shared)))
  kernel.run()
  return (0..<outputCount).map { output[$0].doubleValue }
}

private func expectClose(_ actual: [Double], _ expected: [Double], _ tolerance: Double) {
  #expect(actual.count == expected.count)
  let worst = zip(actual, expected).map { Swift.abs($0 - $1) / (1 + Swift.abs($1)) }.max() ?? 0
  #expect(worst <= tolerance)
}

private func check<T: PlanScalar>(_ shape: ConvolutionShape, _: T.Type, tolerance: Double) {
  let c = shape.geometry
  let x = values(shape.batch * c.inChannels * c.height * c.width, seed: 1)
  let w = values(c.filters * c.patchSize, seed: 2)
  let bias = values(c.filters, seed: 3)
  let g = values(shape.batch * c.filters * c.positions, seed: 4)
  let expected = reference(shape, x: x, w: w, b: bias, g: g)
  for chunk in [1, 2, shape.batch, shape.batch + 3] {
    for workers in [1, 2, 3] {
      let y = run(T.self, .forward, shape, chunk: chunk, workers: workers, x, w, bias: bias,
                  outputCount: g.count)
      expectClose(y, expected.y, tolerance)
      let relu = run(T.self, .forward, shape, chunk: chunk, workers: workers,
                     activation: .relu, x, w, bias: bias, outputCount: g.count)
      expectClose(relu, expected.y.map { Swift.max($0, 0) }, tolerance)
      let dx = run(T.self, .inputGradient, shape, chunk: chunk, workers: workers, g, w,
                   bias: nil, outputCount: x.count)
      expectClose(dx, expected.dx, tolerance)
      let dw = run(T.self, .weightGradient, shape, chunk: chunk, workers: workers, g, x,
                   bias: nil, outputCount: w.count)
      expectClose(dw, expected.dw, tolerance)
    }
  }
}

@Test(arguments: shapes)
func batchedConvolutionMatchesTheDefinitionInFloat(_ shape: ConvolutionShape) {
  check(shape, Float.self, tolerance: 1e-5)
}

@Test(arguments: shapes)
func batchedConvolutionMatchesTheDefinitionInDouble(_ shape: ConvolutionShape) {
  check(shape, Double.self, tolerance: 1e-12)
}

// maxpool(2)'s unrolled kernels against the definition, on inputs full of ties (the first
// maximum of a window, row by row, takes its gradient) and with odd sizes (a last row or column
// no window covers gets a zero gradient).

@Test(arguments: [[2, 3, 5, 4], [1, 1, 4, 7], [1, 2, 2, 2]])
func maxpool2x2MatchesTheDefinitionWithTies(_ shape: [Int]) {
  let geometry = PoolingGeometry(kind: .max, input: Array(shape.dropFirst()), size: [2, 2],
                                 stride: [2, 2])
  let planes = shape[0] * shape[1]
  let (h, w, oh, ow) = (shape[2], shape[3], geometry.outHeight, geometry.outWidth)
  let x = (0..<planes * h * w).map { Float(($0 * 5) % 3) }
  let dy = (0..<planes * oh * ow).map { Float($0 + 1) }
  var expectedY = [Float](repeating: 0, count: dy.count)
  var expectedDx = [Float](repeating: 0, count: x.count)
  for p in 0..<planes {
    for oy in 0..<oh {
      for ox in 0..<ow {
        var best = p * h * w + 2 * oy * w + 2 * ox
        for i in 0..<2 {
          for j in 0..<2 where x[p * h * w + (2 * oy + i) * w + 2 * ox + j] > x[best] {
            best = p * h * w + (2 * oy + i) * w + 2 * ox + j
          }
        }
        expectedY[(p * oh + oy) * ow + ox] = x[best]
        expectedDx[best] += dy[(p * oh + oy) * ow + ox]
      }
    }
  }
  var input = x
  var upstream = dy
  var y = [Float](repeating: 9, count: dy.count)
  var dx = [Float](repeating: 9, count: x.count)
  input.withUnsafeMutableBufferPointer { input in
    upstream.withUnsafeMutableBufferPointer { upstream in
      y.withUnsafeMutableBufferPointer { y in
        PoolingKernel(geometry: geometry, planes: planes, gradient: false,
                      input: input.baseAddress!, upstream: nil, output: y.baseAddress!).run()
      }
      dx.withUnsafeMutableBufferPointer { dx in
        PoolingKernel(geometry: geometry, planes: planes, gradient: true,
                      input: input.baseAddress!, upstream: upstream.baseAddress!,
                      output: dx.baseAddress!).run()
      }
    }
  }
  #expect(y == expectedY)
  #expect(dx == expectedDx)
}
