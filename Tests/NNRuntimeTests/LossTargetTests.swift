import Testing
@testable import NNRuntime

// The loss target rules (Kernels/LossTargets.swift) and the metrics' applicability
// (Metrics/Metric.swift).

private let allKinds: [LossKind] = [.mse, .sse, .mae, .huber(delta: 1), .crossEntropy, .bce]

@Test func crossEntropyTakesIndicesAsAListOrAColumnOrProbabilityRows() throws {
  let ce = LossKind.crossEntropy
  #expect(try ce.targetShape([4], prediction: [4, 3]) == ([4], true))
  #expect(try ce.targetShape([4, 1], prediction: [4, 3]) == ([4], true))
  #expect(try ce.targetShape([4, 3], prediction: [4, 3]) == ([4, 3], false))
  // One sample: a number or a list of one.
  #expect(try ce.targetShape([], prediction: [3]) == ([], true))
  #expect(try ce.targetShape([1], prediction: [3]) == ([], true))
  // One class: [n, 1] is the prediction's shape, so probabilities (as PyTorch reads it).
  #expect(try ce.targetShape([4, 1], prediction: [4, 1]) == ([4, 1], false))
  let column = Tensor(shape: [2, 1], scalars: [0, 2])
  #expect(try ce.checkedTarget(column, prediction: [2, 3]).shape == [2])
  #expect(try ce.checkedTarget(column, prediction: [2, 3]).scalars == [0, 2])
}

@Test func crossEntropyRefusesTargetsItCannotRead() {
  let ce = LossKind.crossEntropy
  #expect(throws: LossTargetError(
    "m gives outputs of shape [4, 3], so the target must be class indices ([4] or [4, 1]) or "
      + "probability rows ([4, 3]), not shape [4, 2]")) {
    try ce.targetShape([4, 2], prediction: [4, 3], model: "m")
  }
  // Per-position logits [n, T, C] take indices [n, T]; a fourth axis is no loss's logits.
  #expect(throws: LossTargetError(
    "cross_entropy reads logits of shape [n, C] or [n, T, C], but the prediction has shape "
      + "[2, 4, 3, 2]")) {
    try ce.targetShape([2, 4, 3], prediction: [2, 4, 3, 2])
  }
  for (value, row) in [(Float(3), 1), (-1, 1), (0.5, 1), (.nan, 1), (.infinity, 1)] {
    let target = Tensor(shape: [3], scalars: [0, value, 1])
    do {
      _ = try ce.checkedTarget(target, prediction: [3, 3])
      Issue.record("\(value) was taken as a class index")
    } catch {
      #expect(error.row == row)
      #expect(error.message.contains("the prediction has 3 classes"))
      #expect(error.message.contains("indices 0 to 2"))
    }
  }
}

@Test func bceTakesProbabilitiesOfThePredictionsShape() throws {
  let y = Tensor(shape: [2, 1], scalars: [0, 1])
  #expect(try LossKind.bce.checkedTarget(y, prediction: [2, 1]) == y)
  #expect(throws: LossTargetError(
    "row 1 of the target holds 2, but bce's targets are probabilities in [0, 1]", row: 1)) {
    try LossKind.bce.checkedTarget(Tensor(shape: [2, 1], scalars: [0, 2]), prediction: [2, 1])
  }
  // One value per row, `[n]`, is a one-output model's `[n, 1]`, as training reads it.
  #expect(try LossKind.bce.checkedTarget(Tensor(shape: [2], scalars: [0, 1]), prediction: [2, 1])
          == y)
  #expect(throws: LossTargetError.self) {
    try LossKind.bce.checkedTarget(Tensor(shape: [2], scalars: [0, 1]), prediction: [2, 2])
  }
  #expect(throws: LossTargetError.self) {
    try LossKind.mse.checkedTarget(Tensor(shape: [1, 2], scalars: [0, 1]), prediction: [2, 1])
  }
}

@Test func bceNeedsAModelEndingInProbabilities() {
  let plain = denseNetwork([2, 3, 1], activations: [.tanh, .identity], seed: 1)
  #expect(LossKind.bce.predictionProblem(plain, model: "m") == LossTargetError(
    "bce takes probabilities, but m ends in dense(1), whose outputs are not probabilities in "
      + "[0, 1]", hint: "end the model with sigmoid, e.g. dense(1, sigmoid)"))
  for last in [Activation.sigmoid, .softmax] {
    let ending = denseNetwork([2, 3, 2], activations: [.tanh, last], seed: 1)
    #expect(LossKind.bce.predictionProblem(ending, model: "m") == nil)
  }
  // Only a loss that declares it reads probabilities asks.
  for kind in allKinds where !kind.declaration.readsProbabilities {
    #expect(kind.predictionProblem(plain, model: "m") == nil)
  }
  #expect(LossKind.bce.predictionProblem(Tensor(shape: [2, 1], scalars: [0, 1])) == nil)
  #expect(LossKind.bce.predictionProblem(Tensor(shape: [2, 1], scalars: [0.5, -1]))?.row == 1)
  #expect(LossKind.mse.predictionProblem(Tensor(shape: [2, 1], scalars: [0.5, -1])) == nil)
}

@Test func valueLossesTakeThePredictionsShapeAndAnyValues() throws {
  for kind in allKinds where kind.targetKind == .values {
    let y = Tensor(shape: [2, 2], scalars: [-5, 0.5, 7, 1e6])
    #expect(try kind.checkedTarget(y, prediction: [2, 2]) == y)
    #expect(throws: LossTargetError(
      "the prediction has shape [2, 2] but the target has shape [2, 1]")) {
      try kind.checkedTarget(Tensor(shape: [2, 1], scalars: [0, 1]), prediction: [2, 2])
    }
  }
}

/// The declared reduction is what the loss op computes: the data-parallel probe, which
/// evaluates a row once and twice, finds the same for every built-in.
@Test(arguments: allKinds)
func theDeclaredReductionIsTheOneTheLossComputes(kind: LossKind) throws {
  let classifier = kind.targetKind != .values
  let network = denseNetwork([2, 3, classifier ? 2 : 1], activations: [.tanh, .identity],
                             seed: 1)
  let configuration = TrainingConfiguration(epochs: 1, batchSize: nil, optimizer: plainSGD,
                                            learningRate: 0.1)
  let trainer = try makeTrainer(network, configuration, loss: kind)
  var data = classifier ? blobData(8) : linearData(8)
  if kind == .bce {
    data.y = Tensor(shape: [8, 2], scalars: data.y.scalars.flatMap { [$0, 1 - $0] })
  }
  #expect(try trainer.lossReduction(data) == kind.reduction)
}

@Test func metricsDeclareTheTargetsTheyApplyTo() {
  for metric in Metric.allCases {
    let classMetric = metric.isClassification
    #expect((metric.mismatch(.classes(2)) == nil) == classMetric)
    #expect((metric.mismatch(.values) == nil) == !classMetric)
    #expect(metric.mismatch(.probabilities(2)) == nil)
  }
  #expect(Metric.auc.mismatch(.classes(3)) == "auc needs two classes, but the targets have 3")
  #expect(Metric.auc.mismatch(.probabilities(3)) != nil)
  #expect(Metric.accuracy.mismatch(.classes(3)) == nil)
  #expect(Metric.r2.mismatch(.classes(3))?.hasPrefix("r2 compares values") == true)
}

/// With the weights held still (lr 0), the epoch's loss over mini-batches is the loss of the
/// whole set, for a loss that sums over rows as for one that averages, l2 penalty included.
@Test(arguments: [LossKind.sse, .mse], [0.0, 0.3])
func theEpochLossOfMiniBatchesIsTheWholeSetsLoss(kind: LossKind, l2: Double) throws {
  let network = denseNetwork([2, 3, 1], activations: [.tanh, .identity], seed: 1)
  let configuration = TrainingConfiguration(epochs: 1, batchSize: 4, shuffle: false,
                                            optimizer: plainSGD, learningRate: 0, l2: l2)
  let trainer = try makeTrainer(network, configuration, loss: kind)
  trainer.lossKind = kind
  let data = linearData(10)
  let whole = try trainer.evaluate(data).loss + trainer.l2Penalty()
  let history = try train(trainer, data)
  let epoch = try #require(history["loss"]?.first)
  #expect(abs(epoch - whole) <= 1e-5 * abs(whole), "epoch \(epoch), whole set \(whole)")
}
