#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Small generated data sets for experiments, after scikit-learn's `make_*` functions and the
/// CS231n spiral. Each draws only from the generator it is given, so a seed reproduces it.
public enum SyntheticData {
  /// The four rows of XOR: `x` of 0/1 pairs, `y` `[4, 1]` (regression-style targets, so
  /// `dense(1, sigmoid)` with `mse` or `bce` fits them).
  public static func xor() -> Dataset {
    Dataset(checkedX: Tensor(shape: [4, 2], scalars: [0, 0, 0, 1, 1, 0, 1, 1]),
            y: Tensor(shape: [4, 1], scalars: [0, 1, 1, 0]), classes: nil)
  }

  /// `n` rows of `x ~ N(0, 1)` with `w.count` features and `y = x·w + b + noise·N(0, 1)`,
  /// shaped `[n, 1]`.
  public static func linear(
    n: Int, w: [Double], b: Double, noise: Double, random: inout RandomGenerator
  ) -> Dataset {
    var x: [Float] = []
    var y: [Float] = []
    x.reserveCapacity(n * w.count)
    y.reserveCapacity(n)
    for _ in 0..<n {
      var target = b
      for weight in w {
        let value = Float(random.normal())
        x.append(value)
        target += Double(value) * weight
      }
      y.append(Float(target + noise * random.normal()))
    }
    return Dataset(checkedX: Tensor(shape: [n, w.count], scalars: x),
                   y: Tensor(shape: [n, 1], scalars: y), classes: nil)
  }

  /// Interleaved spiral arms, `n` points per class, as in CS231n: class `j` has radii evenly
  /// from 0 to 1 and angles from `4j` to `4(j + 1)` plus `noise·N(0, 1)`. Rows are grouped by
  /// class (shuffle or split to mix them).
  public static func spirals(
    n: Int, classes: Int, noise: Double, random: inout RandomGenerator
  ) -> Dataset {
    var x: [Float] = []
    var y: [Float] = []
    x.reserveCapacity(2 * n * classes)
    y.reserveCapacity(n * classes)
    for label in 0..<classes {
      for i in 0..<n {
        let fraction = n > 1 ? Double(i) / Double(n - 1) : 0
        let radius = fraction
        let angle = 4 * (Double(label) + fraction) + noise * random.normal()
        x.append(Float(radius * sin(angle)))
        x.append(Float(radius * cos(angle)))
        y.append(Float(label))
      }
    }
    return Dataset(checkedX: Tensor(shape: [n * classes, 2], scalars: x),
                   y: Tensor(shape: [n * classes], scalars: y), classes: classes)
  }

  /// Two interleaving half circles, as scikit-learn's `make_moons`: `n` points in all (the
  /// upper moon, class 0, gets `n / 2`), shuffled, with `noise·N(0, 1)` added to each
  /// coordinate.
  public static func moons(n: Int, noise: Double, random: inout RandomGenerator) -> Dataset {
    let outer = n / 2
    var points: [(Double, Double, Float)] = []
    points.reserveCapacity(n)
    for i in 0..<outer {
      let t = outer > 1 ? Double.pi * Double(i) / Double(outer - 1) : 0
      points.append((cos(t), sin(t), 0))
    }
    let inner = n - outer
    for i in 0..<inner {
      let t = inner > 1 ? Double.pi * Double(i) / Double(inner - 1) : 0
      points.append((1 - cos(t), 1 - sin(t) - 0.5, 1))
    }
    return labelled(points, noise: noise, classes: 2, random: &random)
  }

  /// Two concentric circles, as scikit-learn's `make_circles`: `n` points in all, the outer
  /// circle (radius 1, class 0) gets `n / 2`, the inner one has radius `factor`; shuffled, with
  /// `noise·N(0, 1)` added to each coordinate.
  public static func circles(
    n: Int, noise: Double, factor: Double, random: inout RandomGenerator
  ) -> Dataset {
    let outer = n / 2
    let inner = n - outer
    var points: [(Double, Double, Float)] = []
    points.reserveCapacity(n)
    for i in 0..<outer {
      let t = 2 * Double.pi * Double(i) / Double(outer)
      points.append((cos(t), sin(t), 0))
    }
    for i in 0..<inner {
      let t = 2 * Double.pi * Double(i) / Double(inner)
      points.append((factor * cos(t), factor * sin(t), 1))
    }
    return labelled(points, noise: noise, classes: 2, random: &random)
  }

  /// Gaussian clusters, as scikit-learn's `make_blobs`: `centers` centres drawn uniformly from
  /// `[-10, 10]^dim`, `n` points in all split as evenly as possible (the first `n % centers`
  /// clusters get one more), each centre plus `spread·N(0, 1)` per coordinate; shuffled.
  public static func blobs(
    n: Int, centers: Int, dim: Int, spread: Double, random: inout RandomGenerator
  ) -> Dataset {
    let middles = (0..<centers).map { _ in (0..<dim).map { _ in 20 * random.uniform() - 10 } }
    var x: [Float] = []
    var y: [Float] = []
    x.reserveCapacity(n * dim)
    y.reserveCapacity(n)
    for (label, middle) in middles.enumerated() {
      let count = n / centers + (label < n % centers ? 1 : 0)
      for _ in 0..<count {
        for coordinate in middle { x.append(Float(coordinate + spread * random.normal())) }
        y.append(Float(label))
      }
    }
    let data = Dataset(checkedX: Tensor(shape: [n, dim], scalars: x),
                       y: Tensor(shape: [n], scalars: y), classes: centers)
    return data.shuffled(random: &random)
  }

  /// Shuffles labelled 2-d points, then adds noise (the order scikit-learn uses).
  private static func labelled(
    _ points: [(Double, Double, Float)], noise: Double, classes: Int,
    random: inout RandomGenerator
  ) -> Dataset {
    var points = points
    random.shuffle(&points)
    var x: [Float] = []
    x.reserveCapacity(2 * points.count)
    for point in points {
      x.append(Float(point.0 + noise * random.normal()))
      x.append(Float(point.1 + noise * random.normal()))
    }
    return Dataset(checkedX: Tensor(shape: [points.count, 2], scalars: x),
                   y: Tensor(shape: [points.count], scalars: points.map(\.2)),
                   classes: classes)
  }
}
