import Foundation
import NNRuntime

/// The data sets shipped in `Resources/` (`iris.csv`, `digits.csv`), parsed once, and the
/// shipped text (`sonnets.txt`), read once.
///
/// This is the one file that uses Foundation, for `Bundle`. It looks where SwiftPM's generated
/// `Bundle.module` looks (the resource bundle beside the executable), then in the source tree;
/// it does not call `Bundle.module` itself because that stops the process when the bundle is
/// missing, and the interpreter must report a diagnostic instead.
enum DatasetResources {
  static let iris: Result<Dataset, DataError> = load("iris", classes: 3)
  static let digits: Result<Dataset, DataError> = load("digits", classes: 10)
  static let sonnets: Result<String, DataError> = text("sonnets")

  private static func text(_ name: String) -> Result<String, DataError> {
    guard let path = path(of: name + ".txt") else {
      return .failure(DataError("the built-in text '\(name).txt' is missing from this "
                                  + "installation of nn"))
    }
    switch FileAccess.readText(path) {
    case .success(let text): return .success(text)
    case .failure(.cannotRead(let reason)), .failure(.pastMemoryLimit(let reason)):
      return .failure(DataError("cannot read the built-in text '\(name).txt': \(reason)"))
    }
  }

  private static func load(_ name: String, classes: Int) -> Result<Dataset, DataError> {
    guard let path = path(of: name + ".csv") else {
      return .failure(DataError("the built-in data set '\(name).csv' is missing from this "
                                  + "installation of nn"))
    }
    switch FileAccess.readText(path) {
    case .success(let text):
      do {
        return .success(try CSV.load(text: text, target: .last, classes: classes))
      } catch {
        return .failure(error)
      }
    case .failure(.cannotRead(let reason)), .failure(.pastMemoryLimit(let reason)):
      return .failure(DataError("cannot read the built-in data set '\(name).csv': \(reason)"))
    }
  }

  /// The first place the file exists: the resource bundle (named as SwiftPM names it on Linux
  /// and on macOS), then the target's source folder.
  private static func path(of file: String) -> String? {
    let executableFolder = Bundle.main.bundleURL.path
    var candidates = ["nn_NNScript.resources", "nn_NNScript.bundle",
                      "nn_NNScript.bundle/Contents/Resources"].map {
      executableFolder + "/" + $0 + "/Resources/" + file
    }
    // This file sits in Objects/, one folder below the target's Resources/.
    if let sourceFolder = FileAccess.directory(of: #filePath) {
      candidates.append(sourceFolder + "/../Resources/" + file)
    }
    return candidates.first { FileManager.default.isReadableFile(atPath: $0) }
  }
}
