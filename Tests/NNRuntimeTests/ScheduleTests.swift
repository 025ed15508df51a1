import Testing
@testable import NNRuntime

// Learning-rate schedules against torch.optim.lr_scheduler. The expected rates were printed by
// torch 2.13 (the recursive, chainable forms, stepped once per epoch, base lr 0.1, 10 epochs):
//   opt.param_groups[0]["lr"] before each epoch's opt.step(); scheduler.step().

@Suite struct ScheduleTests {
  func expectRates(_ schedule: LearningRateSchedule, _ expected: [Double], base: Double = 0.1,
                   sourceLocation: SourceLocation = #_sourceLocation) {
    let rates = schedule.learningRates(base: base, totalEpochs: expected.count)
    #expect(rates.count == expected.count, sourceLocation: sourceLocation)
    for (epoch, (got, want)) in zip(rates, expected).enumerated() {
      #expect(close(got, want, 1e-12), "epoch \(epoch): \(got) vs \(want)",
              sourceLocation: sourceLocation)
    }
  }

  @Test func constantKeepsTheBaseRate() {
    expectRates(.constant, [Double](repeating: 0.1, count: 5))
  }

  @Test func stepMatchesStepLR() {
    // StepLR(step_size=3, gamma=0.5)
    expectRates(.step(every: 3, gamma: 0.5),
                [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.0125])
  }

  @Test func defaultsArePyTorchs() {
    // StepLR's gamma and CosineAnnealingLR's eta_min; StepLR(step_size=3) with that gamma.
    #expect(LearningRateSchedule.stepHyperparameters[1].defaultValue == 0.1)
    #expect(LearningRateSchedule.cosineHyperparameters[0].defaultValue == 0)
    let gamma = LearningRateSchedule.stepHyperparameters[1].defaultValue
    expectRates(.step(every: 3, gamma: gamma),
                [0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.001, 0.001, 0.001, 0.0001])
  }

  @Test func exponentialMatchesExponentialLR() {
    // ExponentialLR(gamma=0.9)
    expectRates(.exponential(gamma: 0.9),
                [0.1, 0.09000000000000001, 0.08100000000000002, 0.07290000000000002,
                 0.06561000000000002, 0.05904900000000002, 0.05314410000000002,
                 0.04782969000000002, 0.043046721000000024, 0.03874204890000002])
  }

  @Test func cosineMatchesCosineAnnealingLR() {
    // CosineAnnealingLR(T_max=10, eta_min=0.01)
    expectRates(.cosine(minimum: 0.01),
                [0.1, 0.09779754323328192, 0.09140576474687263, 0.08145033635316129,
                 0.06890576474687264, 0.05500000000000001, 0.04109423525312737,
                 0.028549663646838717, 0.01859423525312737, 0.012202456766718092])
    // CosineAnnealingLR(T_max=10)
    expectRates(.cosine(minimum: 0),
                [0.1, 0.09755282581475769, 0.09045084971874738, 0.07938926261462367,
                 0.06545084971874739, 0.05000000000000001, 0.03454915028125264,
                 0.020610737385376353, 0.009549150281252635, 0.002447174185242324])
  }

  @Test func warmupRisesLinearlyThenHandsOver() {
    // LinearLR(start_factor=1/3, total_iters=2) gives the three warm-up rates.
    let warm = [0.03333333333333333, 0.06666666666666667, 0.1]
    expectRates(.warmup(epochs: 3, then: .constant), warm + [0.1, 0.1])
    // The cosine after a warm-up runs over the remaining 10 epochs, from its own epoch 0.
    let cosine = LearningRateSchedule.cosine(minimum: 0).learningRates(base: 0.1, totalEpochs: 10)
    expectRates(.warmup(epochs: 3, then: .cosine(minimum: 0)), warm + cosine)
    expectRates(.warmup(epochs: 2, then: .step(every: 2, gamma: 0.1)),
                [0.05, 0.1, 0.1, 0.1, 0.01, 0.01, 0.001])
  }

  @Test func aOneEpochCosineStaysAtTheBase() {
    #expect(LearningRateSchedule.cosine(minimum: 0)
      .learningRate(base: 0.5, epoch: 0, totalEpochs: 1) == 0.5)
  }

  @Test func validateRejectsBadSettings() {
    #expect(LearningRateSchedule.constant.validate() == nil)
    #expect(LearningRateSchedule.step(every: 10, gamma: 0.5).validate() == nil)
    #expect(LearningRateSchedule.step(every: 0, gamma: 0.5).validate()?.contains("every") == true)
    #expect(LearningRateSchedule.step(every: 2, gamma: 0).validate()?.contains("gamma") == true)
    #expect(LearningRateSchedule.exponential(gamma: -1).validate() != nil)
    #expect(LearningRateSchedule.exponential(gamma: .nan).validate() != nil)
    #expect(LearningRateSchedule.cosine(minimum: -0.1).validate() != nil)
    #expect(LearningRateSchedule.warmup(epochs: 0, then: .constant).validate() != nil)
    #expect(LearningRateSchedule.warmup(epochs: 2, then: .exponential(gamma: 0)).validate()?
      .contains("exponential") == true)
  }

  @Test func validationReadsTheDeclaredRangesAndNames() {
    #expect(LearningRateSchedule.cosine(minimum: -0.1).validate()
      == "cosine: min must be a finite number ≥ 0, got -0.1")
    #expect(LearningRateSchedule.step(every: 0, gamma: 0.5).validate()
      == "step: every must be a finite number ≥ 1, got 0")
    let declared = LearningRateSchedule.stepHyperparameters.map(\.name)
    #expect(declared == ["every", "gamma"])
    #expect(LearningRateSchedule.defaultCosine == .cosine(minimum: 0))
  }

  @Test func descriptionsUseTheLanguageSpelling() {
    #expect(LearningRateSchedule.warmup(epochs: 2, then: .cosine(minimum: 0)).description
      == "warmup(epochs: 2, then: cosine(minimum: 0))")
  }
}
