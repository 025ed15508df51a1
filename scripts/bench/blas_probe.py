"""Prints the OpenBLAS kernel NumPy uses here, as scripts/bench/driver.py reports it.

NumPy's wheels carry their own OpenBLAS with prefixed symbols (scipy_openblas…); the library
is found among the process's mapped files and asked for its core name.
"""

import ctypes
import numpy

numpy.ones((2, 2)) @ numpy.ones((2, 2))  # make sure BLAS is loaded

names = ("openblas_get_corename", "scipy_openblas_get_corename64_",
         "scipy_openblas_get_corename", "openblas_get_corename64_")
found = "unknown"
with open("/proc/self/maps") as maps:
    libraries = sorted({line.split()[-1] for line in maps if "openblas" in line.lower()})
for path in libraries:
    library = ctypes.CDLL(path)
    for name in names:
        function = getattr(library, name, None)
        if function is not None:
            function.restype = ctypes.c_char_p
            found = f"OpenBLAS {function().decode()} (numpy {numpy.__version__})"
            break
    if found != "unknown":
        break
print(found)
