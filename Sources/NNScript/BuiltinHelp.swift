/// The help text of every built-in: one sentence and a short working example each, grouped by
/// family. `:help NAME` in the REPL and `docs/builtins.md` are both rendered from this table
/// (`Interpreter.help(for:)`, `Interpreter.builtinReference()`), so they cannot drift apart.
enum BuiltinHelp {
  /// One built-in's help.
  struct Entry: Sendable {
    /// The family it is listed under in the reference (one of `families`).
    let family: String
    /// One sentence saying what it does.
    let summary: String
    /// One or two lines of `.nn` that run as they stand.
    let example: String
  }

  /// The families in the order the reference lists them.
  static let families = [
    "output", "values", "tensors", "element-wise", "reductions", "shapes", "layers",
    "initialisers", "losses", "optimizers", "gradients", "training", "metrics", "data",
    "plots and files", "ranks",
  ]

  /// Help for every name in `Builtins.all`: declared with the built-in (`Builtin.doc`), or,
  /// for families not yet converted, from the table below.
  static let entries: [String: Entry] = {
    var table: [String: Entry] = [:]
    for builtin in Builtins.all {
      guard let doc = builtin.doc else { continue }
      table[builtin.name] = Entry(family: doc.family, summary: doc.summary, example: doc.example)
    }
    for (family, items) in groups {
      for (name, summary, example) in items {
        precondition(table[name] == nil, "two help entries for \(name)")
        table[name] = Entry(family: family, summary: summary, example: example)
      }
    }
    return table
  }()

  private typealias Item = (name: String, summary: String, example: String)

  private static let groups: [(String, [Item])] = [
    ("output", output), ("values", values), ("tensors", tensors),
    ("element-wise", elementwise), ("reductions", reductions), ("shapes", shapes),
    ("layers", layers), ("initialisers", initialisers), ("gradients", gradients),
    ("training", training), ("metrics", metrics), ("data", data), ("plots and files", files), ("ranks", ranks),
  ]

  private static let output: [Item] = [
    ("print", "Writes its arguments separated by a space, then a line break; rank 0 only.",
     "print(\"loss\", 0.25, [1, 2])"),
    ("json", "Returns a value as JSON text (non-finite numbers become null).",
     "print(json({lr: 0.1, sizes: [2, 3]}))"),
  ]

  private static let values: [Item] = [
    ("len", "Returns the length of a string, list, record, dataset or a tensor's first axis.",
     "print(len([1, 2, 3]), len(\"abc\"))"),
    ("type", "Returns the name of a value's type.",
     "print(type(1), type(\"a\"), type(zeros(2)))"),
    ("str", "Returns a value's printed form as a string.",
     "print(str(3) + \" items\")"),
    ("num", "Parses a string as a number.",
     "print(num(\"2.5\") * 2)"),
    ("append", "Returns a new list with a value added at the end.",
     "print(append([\"a\", \"b\"], \"c\"))"),
    ("keys", "Returns the field names of a record, in order.",
     "print(keys({lr: 0.1, epochs: 10}))"),
    ("list", "Turns a range, string, tensor or record into a list of its elements.",
     "print(list(0..<3))"),
    ("assert", "Stops the script with the message when the condition is false.",
     "assert(1 + 1 == 2, \"arithmetic works\")"),
    ("seed", "Seeds the interpreter's random generator so runs repeat exactly.",
     "seed(42)\nprint(rand(2))"),
  ]

  private static let tensors: [Item] = [
    ("tensor", "Makes a tensor from a number, a nested list of numbers or a list of tensors.",
     "print(tensor([1, 2, 3]) * 2)"),
    ("zeros", "Makes a tensor of zeros; bare, it is the all-zeros initialiser.",
     "print(zeros(2, 3))"),
    ("ones", "Makes a tensor of ones; bare, it is the all-ones initialiser.",
     "print(ones([2, 2]))"),
    ("full", "Makes a tensor of the given shape filled with one value.",
     "print(full([2, 2], 7))"),
    ("eye", "Makes the n×n identity matrix.",
     "print(eye(3))"),
    ("rand", "Makes a tensor of uniform random numbers in [0, 1).",
     "print(rand(2, 3))"),
    ("randn", "Makes a tensor of standard normal random numbers.",
     "print(randn(4))"),
    ("arange", "Counts from start up to (not including) stop by step; arange(n) counts from 0.",
     "print(arange(0, 1, 0.25), arange(4))"),
    ("linspace", "Returns count evenly spaced numbers from start to stop, both included.",
     "print(linspace(0, 1, 5))"),
  ]

  private static let elementwise: [Item] = [
    ("exp", "Computes e to the power of each element.", "print(exp(1), exp([0, 1]))"),
    ("log", "Computes the natural logarithm of each element.", "print(log([1, 10]))"),
    ("sqrt", "Computes the square root of each element.", "print(sqrt([4, 9]))"),
    ("abs", "Computes the absolute value of each element.", "print(abs([-2, 3]))"),
    ("tanh", "Computes tanh of each element; bare, it is a tanh layer or activation.",
     "print(tanh([-1, 0, 1]))"),
    ("sigmoid", "Computes 1/(1 + e^-x) of each element; bare, it is a sigmoid layer.",
     "print(sigmoid([-1, 0, 1]))"),
    ("relu", "Computes max(x, 0) of each element; bare, it is a relu layer or activation.",
     "print(relu([-1, 0, 2]))"),
    ("floor", "Rounds each element down.", "print(floor([1.5, -1.5]))"),
    ("ceil", "Rounds each element up.", "print(ceil([1.5, -1.5]))"),
    ("round", "Rounds each element to the nearest whole number.", "print(round([1.4, 2.6]))"),
    ("sign", "Returns -1, 0 or 1 for each element's sign.", "print(sign([-3, 0, 2]))"),
    ("maximum", "Takes the larger of two tensors element by element, broadcasting.",
     "print(maximum([1, 5], [3, 2]))"),
    ("minimum", "Takes the smaller of two tensors element by element, broadcasting.",
     "print(minimum([1, 5], [3, 2]))"),
    ("clip", "Limits every element to the range [lo, hi].",
     "print(clip([-2, 0.5, 3], 0, 1))"),
    ("softmax", "Normalises exponentials along an axis (the last by default); bare, a layer.",
     "print(softmax([[1, 2, 3]], axis: -1))"),
  ]

  private static let reductions: [Item] = [
    ("sum", "Adds the elements, all of them or along axis:.",
     "print(sum([[1, 2], [3, 4]]), sum([[1, 2], [3, 4]], axis: 0))"),
    ("mean", "Averages the elements, all of them or along axis:.",
     "print(mean([[1, 2], [3, 4]], axis: 1))"),
    ("max", "Returns the largest element, overall or along axis:.",
     "print(max([3, 7, 5]))"),
    ("min", "Returns the smallest element, overall or along axis:.",
     "print(min([[3, 7], [1, 5]], axis: 0))"),
    ("argmax", "Returns the index of the largest element, overall or along axis:.",
     "print(argmax([[0.1, 0.9], [0.8, 0.2]], axis: 1))"),
    ("argmin", "Returns the index of the smallest element, overall or along axis:.",
     "print(argmin([3, 1, 2]))"),
    ("std", "Returns the population standard deviation, overall or along axis:.",
     "print(std([1, 2, 3, 4]))"),
    ("var", "Returns the population variance, overall or along axis:.",
     "print(var([1, 2, 3, 4]))"),
    ("prod", "Multiplies the elements, all of them or along axis:.",
     "print(prod([1, 2, 3, 4]))"),
  ]

  private static let shapes: [Item] = [
    ("reshape", "Gives a tensor a new shape (one -1 inferred); reshape(shape) alone is a layer.",
     "print(reshape(arange(6), 2, -1))"),
    ("concat", "Joins a list of tensors along an existing axis (0 by default).",
     "let a = ones(2)\nprint(concat([a, zeros(3)]))"),
    ("stack", "Stacks a list of equally shaped tensors along a new axis (0 by default).",
     "let a = ones(2)\nprint(stack([a, zeros(2)], axis: 1))"),
  ]

  private static let layers: [Item] = [
    ("dense", "A fully connected layer of units outputs with an optional activation.",
     "let m = model(3) { dense(4, relu, init: he); dense(1) }\nprint(m(ones(3)))"),
    ("conv2d", "A 2-D convolution of filters kernel-sized windows over [channels, h, w] samples.",
     "let m = model([1, 5, 5]) { conv2d(4, 3, padding: \"valid\", act: relu) }\nsummary(m)"),
    ("maxpool", "A layer keeping the maximum of each size×size window (stride: size).",
     "let m = model([2, 4, 4]) { maxpool(2) }\nprint(m(ones(1, 2, 4, 4)).shape)"),
    ("avgpool", "A layer keeping the mean of each size×size window (stride: size).",
     "let m = model([1, 4, 4]) { avgpool(2, stride: 1) }\nprint(m(ones(1, 1, 4, 4)).shape)"),
    ("flatten", "A layer turning each sample into one vector, as a dense layer needs.",
     "let m = model([2, 3, 3]) { flatten(); dense(1) }\nsummary(m)"),
    ("batchnorm", "A layer normalising each feature or channel by batch, else running, statistics.",
     "let m = model(4) { dense(8); batchnorm(); relu; dense(1) }\nsummary(m)"),
    ("layernorm", "A layer normalising each sample over its whole shape, then a learned "
       + "per-element scale and shift.",
     "let m = model(4) { dense(8); layernorm(); tanh; dense(1) }\nsummary(m)"),
    ("embedding", "A first layer mapping each token id in [0, vocab) to a learned dim-vector.",
     "let m = model(3) { embedding(10, 4) }\nprint(m([[1, 2, 9]]).shape)"),
    ("lstm", "An LSTM over [time, features] samples: the last hidden state, or all with "
       + "return_sequences.",
     "let m = model([5, 2]) { lstm(8); dense(1) }\nsummary(m)"),
    ("dropout", "A layer that zeroes each input with probability p while training.",
     "let m = model(4) { dense(8, relu); dropout(0.5); dense(1) }\nsummary(m)"),
    ("gelu", "The exact (erf) GELU: computes it on a tensor; bare, a layer or activation.",
     "print(gelu([-1, 0, 1]))"),
    ("identity", "Returns its input unchanged; bare, a layer that does nothing.",
     "print(identity([1, 2]))"),
    ("elu", "ELU with alpha (1 by default): computes it on a tensor, or is a layer.",
     "print(elu([-1, 1], alpha: 0.5))"),
    ("leaky_relu", "Leaky ReLU with slope alpha (0.01 by default) below zero, or a layer.",
     "let m = model(2) { dense(4, leaky_relu(alpha: 0.2)); dense(1) }\nprint(m([1, 2]))"),
  ]

  private static let initialisers: [Item] = [
    ("he", "The He-normal initialiser, N(0, 2/fan_in), for init: or bias_init:.",
     "let m = model(2) { dense(4, relu, init: he) }"),
    ("xavier", "The Xavier-uniform initialiser, U(±√(6/(fan_in + fan_out))).",
     "let m = model(2) { dense(4, tanh, init: xavier) }"),
    ("normal", "An initialiser drawing from N(0, std²), std 0.01 when bare.",
     "let m = model(2) { dense(4, init: normal(0.1)) }"),
    ("uniform", "An initialiser drawing from U(low, high), ±0.05 when bare.",
     "let m = model(2) { dense(4, init: uniform(-0.1, 0.1)) }"),
    ("constant", "An initialiser that sets every value to one number.",
     "let m = model(2) { dense(4, bias_init: constant(0.1)) }\nprint(m.dense1.bias)"),
  ]

  private static let gradients: [Item] = [
    ("grad", "Returns a network's loss and parameter gradients, or ∂f/∂x of a function f.",
     "let m = model(2) { dense(1) }\n"
       + "print(grad(m, [[1, 2]], [[1]], loss: mse).loss, grad(fn (x) { x * x }, 3))"),
    ("step", "Applies one optimizer update from grad's gradients; step(every:) is a schedule.",
     "let m = model(2) { dense(1) }; let opt = sgd(lr: 0.1)\n"
       + "step(m, opt, grad(m, [[1, 2]], [[1]], loss: mse))"),
    ("trace", "Prints and returns every layer's forward and backward values for one step.",
     "let m = model(2) { dense(1) }\nlet t = trace(m, [[1, 2]], [[1]], loss: mse)"),
    ("gradcheck", "Returns the largest relative error of backprop against finite differences.",
     "let m = model(2) { dense(3, tanh); dense(1) }\n"
       + "print(gradcheck(m, [[1, 2]], [[1]], loss: mse) < 1e-6)"),
    ("summary", "Prints a network's layers, output shapes, parameters and FLOPs.",
     "summary(model(3) { dense(4, relu); dense(2) })"),
    ("ir", "Prints a network's compiled plan: kernels, buffers and arena.",
     "ir(model(3) { dense(2, tanh) }, batch: 4)"),
  ]

  private static let training: [Item] = [
    ("fit", "Trains a network on a dataset and returns the per-epoch history.",
     "let m = model(2) { dense(8, tanh); dense(1, sigmoid) }\n"
       + "let h = fit(m, xor(), epochs: 5, optimizer: adam(lr: 0.1), progress: false)"),
    ("exponential", "A schedule multiplying the learning rate by gamma every epoch.",
     "let m = model(2) { dense(1, sigmoid) }\n"
       + "fit(m, xor(), epochs: 3, schedule: exponential(0.9), progress: false)"),
    ("cosine", "A schedule annealing the learning rate to min along a cosine over the run.",
     "let m = model(2) { dense(1, sigmoid) }\n"
       + "fit(m, xor(), epochs: 3, schedule: cosine(min: 0.001), progress: false)"),
    ("warmup", "A schedule ramping the rate up linearly over epochs, then following then.",
     "let m = model(2) { dense(1, sigmoid) }\n"
       + "fit(m, xor(), epochs: 4, schedule: warmup(epochs: 2, then: cosine()), "
       + "progress: false)"),
    ("evaluate", "Returns a record of the loss and metrics of a network over a whole dataset.",
     "let m = model(2) { dense(1, sigmoid) }\nprint(evaluate(m, xor()).loss)"),
    ("crossval", "Trains a fresh model per fold and returns each metric's mean and std.",
     "let f = fn () { model(2) { dense(4, tanh); dense(1, sigmoid) } }\n"
       + "print(crossval(f, moons(n: 40, seed: 1), folds: 2, epochs: 2))"),
  ]

  private static let metrics: [Item] = [
    ("accuracy", "The fraction of rows whose predicted class is the target; bare, a metric.",
     "print(accuracy([[0.9, 0.1], [0.2, 0.8]], [0, 0]))"),
    ("precision", "Of the rows predicted positive, the fraction that are (macro for classes).",
     "print(precision([[0.9, 0.1], [0.2, 0.8], [0.3, 0.7]], [0, 1, 0]))"),
    ("recall", "Of the positive rows, the fraction predicted positive (macro for classes).",
     "print(recall([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]], [0, 1, 1]))"),
    ("f1", "The harmonic mean of precision and recall.",
     "print(f1([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]], [0, 1, 1]))"),
    ("auc", "The area under the ROC curve for two classes.",
     "print(auc([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]], [0, 1, 1, 1]))"),
    ("r2", "The coefficient of determination of a regression.",
     "print(r2([[1], [2], [3]], [[1], [2], [4]]))"),
  ]

  private static let data: [Item] = [
    ("load_csv", "Reads a CSV file into a dataset; target: picks the target column.",
     "write(\"d.csv\", \"a,b,y\\n1,2,0\\n3,4,1\\n\")\n"
       + "print(load_csv(\"d.csv\", target: \"y\", classes: 2))"),
    ("dataset", "Makes a dataset from inputs x and targets y (class indices with classes:).",
     "print(dataset(randn(10, 2), [0, 1, 0, 1, 0, 1, 0, 1, 0, 1], classes: 2))"),
    ("split", "Shuffles a dataset and returns [train, test] with fraction of rows in train.",
     "let (tr, te) = split(moons(), 0.8, seed: 1)\nprint(tr.n, te.n)"),
    ("shuffle", "Returns a dataset with its rows in random order.",
     "print(shuffle(xor(), seed: 3).y)"),
    ("standardize", "Scales datasets to zero mean and unit variance by the first's statistics.",
     "let (tr, te) = split(blobs(), 0.8)\nlet (a, b) = standardize(tr, te)"),
    ("onehot", "Turns class indices into one-hot rows.",
     "print(onehot([0, 2, 1], 3))"),
    ("xor", "The four rows of XOR, with one target column.",
     "print(xor())"),
    ("linear", "Noisy points on the line y = w·x + b for regression.",
     "print(linear(n: 50, w: 3, b: 1, noise: 0.1))"),
    ("spirals", "Interleaved spiral arms, n points per class.",
     "print(spirals(n: 100, classes: 3, noise: 0.2))"),
    ("moons", "Two interleaving half circles, two classes.",
     "print(moons(n: 200, noise: 0.1))"),
    ("circles", "A small circle inside a larger one, two classes.",
     "print(circles(n: 200, noise: 0.05, factor: 0.5))"),
    ("blobs", "Gaussian clusters around random centres, one class per centre.",
     "print(blobs(n: 200, centers: 3, dim: 2, spread: 1))"),
    ("iris", "The iris flowers: 150 rows of 4 measurements in 3 classes.",
     "print(iris())"),
    ("digits", "The 8×8 handwritten digits: 1,797 rows of 64 pixels in 10 classes.",
     "print(digits())"),
  ]

  private static let files: [Item] = [
    ("read", "Returns the text of a file, relative to the script's folder.",
     "write(\"notes.txt\", \"hello\")\nprint(read(\"notes.txt\"))"),
    ("write", "Writes a string, or a value's printed form, to a file atomically; rank 0 only.",
     "write(\"out.txt\", \"loss: {0.25}\")"),
    ("plot", "Draws series as a braille chart, or with file: writes an SVG; rank 0 only.",
     "plot(arange(10) ^ 2, title: \"squares\")\nplot(arange(10), file: \"line.svg\")"),
    ("save", "Writes a network's parameters and layers to a safetensors file; rank 0 only.",
     "let m = model(2) { dense(1) }\nsave(m, \"m.safetensors\")"),
    ("load", "Rebuilds a network from a safetensors file, or copies its tensors into: one.",
     "save(model(2) { dense(1) }, \"m.safetensors\")\nprint(load(\"m.safetensors\"))"),
  ]

  private static let ranks: [Item] = [
    ("rank", "This process's index in an mpirun job (0 alone); every_rank: true outputs on all.",
     "print(\"rank {rank()} of {ranks()}\", every_rank: true)"),
    ("ranks", "How many processes train together under mpirun; 1 when it runs alone.",
     "if ranks() > 1 { print(\"data-parallel over {ranks()} processes\") }"),
  ]
}
