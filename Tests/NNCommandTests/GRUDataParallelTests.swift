import Foundation
import Testing

// Data-parallel training of a gru (issue 17): its lowering is primitive ops only, so the
// all-reduce of the gradient region covers its four parameters like any other layer's. Two
// ranks with batch B train as one process with batch 2B, as MPITests checks for the MLP.
@Suite(.enabled(if: MPIRun.available, "nn was built without MPI, or mpirun is missing"),
       .serialized)
struct GRUDataParallelTests {
  let scratch: ScratchDirectory
  let nn: NNExecutable

  init() throws {
    scratch = try ScratchDirectory()
    nn = try NNExecutable.locate()
  }

  static let script = """
    seed(5)
    let tokens = floor(rand(128, 6) * 3)
    let labels = sum(tokens == 1, axis: 1) > sum(tokens == 2, axis: 1)
    let data = dataset(tokens, labels, classes: 2)
    model net(6) {
      embedding(3, 4)
      gru(6, return_sequences: true)
      gru(5)
      dense(2)
    }
    train net on data {
      loss: cross_entropy
      optimizer: adam(lr: 1e-2)
      epochs: 2
      batch: num(args[0])
    }
    save(net, args[1])
    """

  @Test func twoRanksTrainAGRUAsOneProcessWithTwiceTheBatch() throws {
    try scratch.write("gru.nn", Self.script)
    let single = try nn.run(["run", "gru.nn", "32", "single.safetensors"], in: scratch.url)
    #expect(single.status == 0, "\(single.errors)")
    let job = try MPIRun.run(ranks: 2, ["run", "gru.nn", "16", "mpi.safetensors"],
                             in: scratch.url)
    #expect(job.status == 0, "\(job.output)\n\(job.errors)")
    let (difference, scale) = try parameterDifference(
      scratch.url.appendingPathComponent("single.safetensors"),
      scratch.url.appendingPathComponent("mpi.safetensors"))
    #expect(scale > 0.1)
    #expect(difference <= 1e-5 * scale, "largest difference \(difference), scale \(scale)")
    #expect(job.output.components(separatedBy: "epoch 2/2").count == 2, "\(job.output)")
  }
}
