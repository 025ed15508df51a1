// Launch detection with made-up environments, and the pieces long buffers are sent in. MPI
// itself is never started here (see PieceTests): runs across ranks are tested through mpirun
// and the nn binary in NNCommandTests.

@testable import NNDistributed
import Testing

@Suite struct DistributedLaunchTests {
  @Test func noLauncherVariablesMeansNoLaunch() {
    #expect(DistributedLaunch.launchedRanks(environment: [:]) == nil)
    #expect(DistributedLaunch.launchedRank(environment: [:]) == nil)
    let unrelated = ["PATH": "/usr/bin", "OMPI_MCA_btl": "self,vader", "SLURM_NTASKS": "4"]
    #expect(DistributedLaunch.launchedRanks(environment: unrelated) == nil)
    #expect(DistributedLaunch.launchedRank(environment: unrelated) == nil)
  }

  @Test func openMPIVariables() {
    let environment = ["OMPI_COMM_WORLD_SIZE": "4", "OMPI_COMM_WORLD_RANK": "3"]
    #expect(DistributedLaunch.launchedRanks(environment: environment) == 4)
    #expect(DistributedLaunch.launchedRank(environment: environment) == 3)
  }

  @Test func processManagerFallbacks() {
    #expect(DistributedLaunch.launchedRanks(environment: ["PMI_SIZE": "2"]) == 2)
    #expect(DistributedLaunch.launchedRank(environment: ["PMI_RANK": "1"]) == 1)
    #expect(DistributedLaunch.launchedRank(environment: ["PMIX_RANK": "0"]) == 0)
    // What Open MPI 4.1.4's mpirun sets besides its own variables: a rank, but no size.
    #expect(DistributedLaunch.launchedRanks(environment: ["PMIX_RANK": "1"]) == nil)
  }

  @Test func openMPIComesFirst() {
    let environment = [
      "PMI_SIZE": "2", "OMPI_COMM_WORLD_SIZE": "6",
      "PMIX_RANK": "1", "OMPI_COMM_WORLD_RANK": "5",
    ]
    #expect(DistributedLaunch.launchedRanks(environment: environment) == 6)
    #expect(DistributedLaunch.launchedRank(environment: environment) == 5)
  }

  @Test(arguments: ["0", "-1", "", "four", "2.5", "99999999999999999999999"])
  func unreadableSizeIsNoLaunch(_ text: String) {
    #expect(DistributedLaunch.launchedRanks(environment: ["OMPI_COMM_WORLD_SIZE": text]) == nil)
  }

  @Test func unreadableVariableGivesWayToTheNext() {
    let environment = ["OMPI_COMM_WORLD_SIZE": "x", "PMI_SIZE": " 3\n"]
    #expect(DistributedLaunch.launchedRanks(environment: environment) == 3)
    #expect(DistributedLaunch.launchedRank(environment: ["OMPI_COMM_WORLD_RANK": "-1"]) == nil)
    #expect(DistributedLaunch.launchedRank(environment: ["PMI_RANK": "0"]) == 0)
  }

  @Test func startWithoutLauncherLeavesMPIAlone() {
    #expect(DistributedLaunch.start(environment: [:]) == nil)
    #expect(!DistributedLaunch.mpiIsRunning)
  }

  @Test func buildFlavour() {
    #if MPI
    #expect(DistributedLaunch.builtWithMPI)
    let version = DistributedLaunch.libraryVersion
    #expect(version?.contains("MPI") == true, "library version: \(String(describing: version))")
    #expect(version?.contains("\n") == false)
    #expect(version?.contains(",") == false)
    #else
    #expect(!DistributedLaunch.builtWithMPI)
    #expect(DistributedLaunch.libraryVersion == nil)
    // Even a launched process gets no communicator from a build without MPI.
    let launched = ["OMPI_COMM_WORLD_SIZE": "2", "OMPI_COMM_WORLD_RANK": "0"]
    #expect(DistributedLaunch.start(environment: launched) == nil)
    #endif
  }
}

/// How collectives split long buffers into calls MPI can count (`Int32`). The collectives
/// themselves run only across processes: NNCommandTests' MPITests start jobs through mpirun.
/// No test here may start MPI in this process: MPI_Init writes OMPI_MCA_ess=singleton and
/// friends into the environment, and every mpirun a later test starts inherits them and fails.
@Suite struct PieceTests {
  func pieces(_ total: Int, limit: Int) -> [[Int]] {
    var pieces: [[Int]] = []
    MPICommunicator.forEachPiece(of: total, limit: limit) { pieces.append([$0, Int($1)]) }
    return pieces
  }

  @Test func piecesCoverTheBufferInOrder() {
    #expect(pieces(10, limit: 3) == [[0, 3], [3, 3], [6, 3], [9, 1]])
    #expect(pieces(9, limit: 3) == [[0, 3], [3, 3], [6, 3]])
    #expect(pieces(2, limit: 3) == [[0, 2]])
    #expect(pieces(0, limit: 3) == [])
    #expect(pieces(4, limit: 0) == [[0, 1], [1, 1], [2, 1], [3, 1]])
  }

  @Test func noPieceExceedsAnInt32Count() {
    let total = Int(Int32.max) * 2 + 5
    #expect(pieces(total, limit: .max)
            == [[0, Int(Int32.max)], [Int(Int32.max), Int(Int32.max)],
                [2 * Int(Int32.max), 5]])
  }
}

#if MPI
@Suite struct MPIBuildTests {
  /// Reading the library's version, and asking whether MPI runs, must not start it: a plain
  /// `nn --version` in an MPI build stays a process without MPI.
  @Test func versionWithoutStartingMPI() {
    #expect(DistributedLaunch.libraryVersion?.hasPrefix("Open MPI v") == true)
    #expect(!DistributedLaunch.mpiIsRunning)
  }
}
#endif
