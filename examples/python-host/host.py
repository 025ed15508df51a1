"""An example Python host of libNNC through ctypes alone (docs/c-api.md): the same steps as
examples/c-host/main.c, printing the same lines.

    python3 examples/python-host/host.py .build/debug/libNNC.so
"""
import ctypes
import sys
import threading
from ctypes import (CFUNCTYPE, POINTER, Structure, c_char_p, c_double, c_float, c_int,
                    c_int64, c_void_p)

NN_OK, NN_TENSOR, NN_MAX_RANK = 0, 4, 32


class Value(Structure):
    """nn_value: one argument of a host function."""
    _fields_ = [("kind", c_int), ("rank", c_int), ("number", c_double), ("string", c_char_p),
                ("length", c_int64), ("data", POINTER(c_float)), ("shape", POINTER(c_int64)),
                ("count", c_int64)]


OUTPUT = CFUNCTYPE(None, c_void_p, POINTER(ctypes.c_char), c_int64)
HOST_FUNCTION = CFUNCTYPE(None, c_void_p, c_void_p, c_int, POINTER(Value))


class Options(Structure):
    """nn_options."""
    _fields_ = [("working_directory", c_char_p), ("step_limit", c_int64),
                ("time_limit", c_double), ("memory_limit", c_int64), ("file_access", c_int),
                ("file_root", c_char_p), ("output", OUTPUT), ("output_user", c_void_p),
                ("show_timings", c_int)]


def load(path):
    """The library with the signatures of the functions this host calls."""
    nn = ctypes.CDLL(path)
    interp, text, status = c_void_p, c_char_p, c_int
    signatures = {
        "nn_options_init": (None, [POINTER(Options)]),
        "nn_new": (interp, [POINTER(Options)]),
        "nn_free": (None, [interp]),
        "nn_run": (status, [interp, text, text]),
        "nn_cancel": (status, [interp]),
        "nn_status_name": (text, [status]),
        "nn_set_number": (status, [interp, text, c_double]),
        "nn_get_number": (status, [interp, text, POINTER(c_double)]),
        "nn_set_tensor": (status, [interp, text, POINTER(c_float), POINTER(c_int64), c_int]),
        "nn_tensor_shape": (status, [interp, text, POINTER(c_int), POINTER(c_int64),
                                     POINTER(c_int64)]),
        "nn_get_tensor": (status, [interp, text, POINTER(c_float), c_int64]),
        "nn_register": (status, [interp, text, POINTER(c_char_p), c_int, HOST_FUNCTION,
                                 c_void_p]),
        "nn_return_tensor": (status, [c_void_p, POINTER(c_float), POINTER(c_int64), c_int]),
        "nn_return_error": (status, [c_void_p, text]),
        "nn_diagnostic_count": (c_int, [interp]),
        "nn_diagnostic_message": (text, [interp, c_int]),
        "nn_diagnostic_code": (text, [interp, c_int]),
        "nn_diagnostic_file": (text, [interp, c_int]),
        "nn_diagnostic_line": (c_int, [interp, c_int]),
        "nn_diagnostic_column": (c_int, [interp, c_int]),
        "nn_diagnostics_rendered": (text, [interp]),
    }
    for name, (result, arguments) in signatures.items():
        function = getattr(nn, name)
        function.restype, function.argtypes = result, arguments
    return nn


TRAINING_SCRIPT = b"""seed(0)
let data = dataset(inputs, xor_targets(inputs))
model net(2) { dense(8, tanh); dense(1, sigmoid) }
let h = train net on data {
  loss: mse, optimizer: adam(lr: 0.05), epochs: epochs, progress: false
}
let predictions = net(inputs)
let final_loss = h.loss[-1]
print("trained for {epochs} epochs")
"""


def main():
    nn = load(sys.argv[1] if len(sys.argv) > 1 else ".build/debug/libNNC.so")
    printed = [0]

    # Runs on the interpreter's thread; ctypes takes the GIL for it.
    @OUTPUT
    def output(_user, text, length):
        printed[0] += length
        sys.stdout.write(ctypes.string_at(text, length).decode())

    @HOST_FUNCTION
    def xor_targets(_user, call, _argc, argv):
        x = argv[0]
        if x.kind != NN_TENSOR or x.rank != 2 or x.shape[1] != 2:
            nn.nn_return_error(call, b"expected a tensor of shape [n, 2] with n <= 1024")
            return
        rows = x.shape[0]
        targets = (c_float * rows)(*[float((x.data[2 * r] > 0.5) != (x.data[2 * r + 1] > 0.5))
                                     for r in range(rows)])
        nn.nn_return_tensor(call, targets, (c_int64 * 2)(rows, 1), 2)

    def name(status):
        return nn.nn_status_name(status).decode()

    def show_diagnostics(status):
        count = nn.nn_diagnostic_count(interp)
        print(f"status {name(status)}, {count} diagnostic(s)")
        for index in range(count):
            file = nn.nn_diagnostic_file(interp, index)
            print(f"{(file or b'-').decode()}:{nn.nn_diagnostic_line(interp, index)}:"
                  f"{nn.nn_diagnostic_column(interp, index)}: "
                  f"[{nn.nn_diagnostic_code(interp, index).decode()}] "
                  f"{nn.nn_diagnostic_message(interp, index).decode()}")
        sys.stdout.write(nn.nn_diagnostics_rendered(interp).decode())

    options = Options()
    nn.nn_options_init(options)
    options.output, options.show_timings = output, 0
    interp = nn.nn_new(options)
    if not interp:
        return 1

    # Data in: a tensor and a number, then a host function the script calls.
    inputs = (c_float * 8)(0, 0, 0, 1, 1, 0, 1, 1)
    ok = (nn.nn_set_tensor(interp, b"inputs", inputs, (c_int64 * 2)(4, 2), 2) == NN_OK
          and nn.nn_set_number(interp, b"epochs", 500) == NN_OK
          and nn.nn_register(interp, b"xor_targets", (c_char_p * 1)(b"x"), 1, xor_targets,
                             None) == NN_OK)
    if not ok:
        return 1
    status = nn.nn_run(interp, TRAINING_SCRIPT, b"train.nn")
    if status != NN_OK:
        show_diagnostics(status)
        return 1

    # Results out: the predictions' shape, then their elements.
    rank, shape, count = c_int(), (c_int64 * NN_MAX_RANK)(), c_int64()
    predictions, loss = (c_float * 4)(), c_double(1)
    if (nn.nn_tensor_shape(interp, b"predictions", rank, shape, count) != NN_OK
            or count.value != 4
            or nn.nn_get_tensor(interp, b"predictions", predictions, 4) != NN_OK
            or nn.nn_get_number(interp, b"final_loss", loss) != NN_OK):
        return 1
    print(f"predictions, shape [{shape[0]}, {shape[1]}]:")
    for row in range(4):
        print(f"  {inputs[2 * row]:g} xor {inputs[2 * row + 1]:g} -> {predictions[row]:.2f}")
    print(f"final loss below 0.01: {'yes' if loss.value < 0.01 else 'no'}")

    # Failures: a script error with a hint, an error from the host function, misuses.
    print("\n-- a misspelt name")
    show_diagnostics(nn.nn_run(interp, b"print(nett(inputs))", b"typo.nn"))
    print("\n-- a host function refusing its argument")
    show_diagnostics(nn.nn_run(interp, b'let t = xor_targets("oops")', b"host.nn"))
    print("\n-- reading a number as a tensor")
    show_diagnostics(nn.nn_get_tensor(interp, b"final_loss", predictions, 4))
    print("\n-- a buffer too small")
    show_diagnostics(nn.nn_get_tensor(interp, b"predictions", predictions, 2))

    # Cancelling from another thread: again and again until the run has returned, since a
    # request made before the run starts is dropped when it starts.
    print("\n-- cancelled from another thread")
    done = threading.Event()

    def cancel_soon():
        while not done.wait(0.02):
            nn.nn_cancel(interp)

    canceller = threading.Thread(target=cancel_soon)
    canceller.start()
    status = nn.nn_run(interp, b"let spins = 0\nwhile true { spins += 1 }", b"spin.nn")
    done.set()
    canceller.join()
    print(f"status {name(status)}: {nn.nn_diagnostic_message(interp, 0).decode()}")
    spins = c_double(0)
    nn.nn_get_number(interp, b"spins", spins)
    print(f"spun before the cancel: {'yes' if spins.value > 0 else 'no'}")
    status = nn.nn_run(interp, b'print("still here")', b"next.nn")
    print(f"next run: {name(status)}")

    print(f"the script printed {printed[0]} bytes")
    nn.nn_free(interp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
