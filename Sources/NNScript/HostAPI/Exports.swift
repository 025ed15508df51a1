// The types a host meets in NNScript's API, re-exported so that `import NNScript` is all an
// embedding needs: tensors, the ranges of declared parameters, and diagnostics with their
// sources.
@_exported import struct NNRuntime.NumberRange
@_exported import struct NNRuntime.Tensor
@_exported import struct NNSyntax.Diagnostic
@_exported import enum NNSyntax.DiagnosticCode
@_exported import struct NNSyntax.DiagnosticNote
@_exported import enum NNSyntax.Severity
@_exported import class NNSyntax.Source
@_exported import struct NNSyntax.SourceRange
@_exported import struct NNSyntax.SourceSpan
