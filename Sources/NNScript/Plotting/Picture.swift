// Every picture a built-in draws goes out through `CallContext.show`: in the output as text,
// or with `file:` as SVG or PNG chosen by the file's extension. A picture only knows how to
// draw itself in the two media; sizes, ranks, paths and the PNG raster live here once.

import NNRaster
import NNSyntax

/// What a built-in draws, independent of where it goes.
protocol Picture {
  /// The size in character cells when the script gives no `width:` or `height:`.
  var terminalSize: (width: Int, height: Int) { get }
  /// The size in pixels of an SVG or PNG when the script gives none.
  var pixelSize: (width: Int, height: Int) { get }
  /// The picture as lines of text (braille, block characters), `width`×`height` cells of
  /// drawing area (axes and captions may add to that), each line ending in a newline.
  func terminal(width: Int, height: Int) -> String
  /// The picture as a standalone SVG document of `width`×`height` pixels.
  func svg(width: Int, height: Int) -> String
}

extension Picture {
  var terminalSize: (width: Int, height: Int) {
    (PlotLimits.terminalDefaultWidth, PlotLimits.terminalDefaultHeight)
  }
  var pixelSize: (width: Int, height: Int) {
    (PlotLimits.svgDefaultWidth, PlotLimits.svgDefaultHeight)
  }
}

/// The file formats a picture can be written in, told by the file's extension.
enum PictureFormat {
  case svg, png

  init?(path: String) {
    let lowered = path.lowercased()
    if lowered.hasSuffix(".svg") {
      self = .svg
    } else if lowered.hasSuffix(".png") {
      self = .png
    } else {
      return nil
    }
  }
}

extension CallContext {
  /// Draws `picture` in the output (on rank 0, or every rank with `every_rank: true`), or
  /// with `file:` writes it as SVG or PNG. Reads the call's `width:` and `height:` when its
  /// signature has them.
  func show(_ picture: any Picture) throws(Diagnostic) {
    guard let file = value("file"), !file.isNil else {
      guard try actsOnThisRank() else { return }
      let (width, height) = picture.terminalSize
      let text = picture.terminal(
        width: try pictureSize("width", PlotLimits.terminalWidth, default: width, unit: "cells"),
        height: try pictureSize("height", PlotLimits.terminalHeight, default: height,
                                unit: "cells"))
      evaluator.options.output(text)
      return
    }
    let path = try filePath("file")
    guard let format = PictureFormat(path: path) else {
      throw error(.invalidArgument,
                  "a picture is written as .svg or .png, but '\(path)' has neither extension",
                  at: "file", hint: "file: \"picture.svg\" or file: \"picture.png\"")
    }
    let (defaultWidth, defaultHeight) = picture.pixelSize
    let width = try pictureSize("width", PlotLimits.svgWidth, default: defaultWidth,
                                unit: "pixels")
    let height = try pictureSize("height", PlotLimits.svgHeight, default: defaultHeight,
                                 unit: "pixels")
    let svg = picture.svg(width: width, height: height)
    let bytes: [UInt8]
    switch format {
    case .svg:
      bytes = Array(svg.utf8)
    case .png:
      do {
        bytes = try PNGRaster.png(svg: svg, width: width, height: height)
      } catch {
        throw self.error(.fileError, "cannot draw '\(path)': \(error.description)", at: "file")
      }
    }
    let resolved = try checkedPath(path, write: true)
    if case .failure(let failure) = try writeFile(resolved, bytes) {
      throw error(.fileError, "cannot write '\(path)': \(failure.reason)", at: "file")
    }
  }

  /// A width or height within `limits`, in `unit`s; `fallback` when the call has none (or
  /// its signature does not take one).
  func pictureSize(
    _ name: String, _ limits: ClosedRange<Int>, default fallback: Int, unit: String
  ) throws(Diagnostic) -> Int {
    guard let value = value(name), !value.isNil else { return fallback }
    let size = try integer(name)
    guard limits.contains(size) else {
      let medium = unit == "cells" ? "in the output" : "in an SVG or PNG file"
      throw error(.invalidArgument,
                  "\(name) must be between \(limits.lowerBound) and \(limits.upperBound) "
                    + "\(unit) \(medium), not \(size)", at: name)
    }
    return size
  }
}

extension Parameter {
  /// `file:`, `width:`, `height:` and `every_rank:` of a built-in that draws, declared once
  /// (`CallContext.show` reads them); `width` and `height` describe its default sizes.
  static func pictureOutput(width: String, height: String) -> [Parameter] {
    [
      .optional("file", .string, "an .svg or .png file to write instead of printing"),
      Parameter("width", .wholeNumber, default: .described(width), "width"),
      Parameter("height", .wholeNumber, default: .described(height), "height"),
      .everyRank,
    ]
  }
}
