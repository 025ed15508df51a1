/*
 * nn.h: the C API of the nn interpreter (libNNC), for hosts written in C, C++ or any language
 * with a C foreign-function interface (Python's ctypes, Lua, Go's cgo, ...).
 *
 * A host creates an interpreter, hands it values by name, registers functions of its own,
 * runs scripts and reads the results back by name, as with Lua or SQLite. docs/c-api.md has
 * the whole API with examples; examples/c-host/main.c is a complete host.
 *
 * Status codes. Every function that can fail returns an nn_status; nothing crashes the host
 * and no Swift error crosses into C. A call that fails records diagnostics (nn_diagnostic_*)
 * describing why: a script's errors, or one diagnostic for a misuse of the API (a null
 * pointer, an unknown name, a value of another kind, a bad shape).
 *
 * Ownership. Every pointer the host passes in is read during the call only (strings, tensor
 * data and shapes are copied), but for callbacks and their user data, which the interpreter
 * keeps and which must outlive it. Pointers the library returns (diagnostic strings) belong to the
 * interpreter and stay valid until the next call on it that returns an nn_status, or
 * nn_free. Values the library hands to a callback (nn_value, nn_call) are valid only until
 * the callback returns. Buffers for results (nn_get_tensor, nn_get_string) are the caller's.
 *
 * Threading. Use an interpreter from one thread at a time; different interpreters are
 * independent and may run at once on different threads. A call made from a second thread
 * while the interpreter is busy does nothing and returns NN_BUSY. Two functions are safe from
 * any thread at any time: nn_cancel, which stops a running script, and nn_free, which is
 * deferred until a running call returns. A script runs on a thread of the interpreter's own
 * with a large stack; nn_run blocks until it ends. Callbacks (host functions and the output
 * function) run on that thread, and may call back into the interpreter that called them
 * (read and set values, run a snippet) without NN_BUSY.
 */
#ifndef NN_H
#define NN_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* An interpreter: a global scope shared by successive runs, with its options. Opaque. */
typedef struct nn_interp nn_interp;

/* One call of a host function, for the nn_return_* functions. Opaque; valid only while the
 * callback it was given to runs. */
typedef struct nn_call nn_call;

/* What a call returns. */
typedef int nn_status;
#define NN_OK 0
#define NN_ERROR 1             /* the script failed (syntax, names, types, shapes, files, ...) */
#define NN_INTERRUPTED 2       /* nn_cancel stopped the script */
#define NN_LIMIT 3             /* the script ran past its step, time or memory limit */
#define NN_MISUSE 4            /* a null pointer; a bad name, rank, shape, option or UTF-8 */
#define NN_NOT_FOUND 5         /* no value is bound to that name */
#define NN_WRONG_KIND 6        /* the value bound to that name is of another kind */
#define NN_TOO_SMALL 7         /* the caller's buffer cannot hold the value; nothing was copied */
#define NN_BUSY 8              /* another thread is using the interpreter; nothing was done */

/* The status's name, such as "NN_NOT_FOUND"; "NN_UNKNOWN" for other numbers. Static. */
const char *nn_status_name(nn_status status);

/* The most dimensions a tensor has. */
#define NN_MAX_RANK 32

/* The kind of a value. */
typedef int nn_kind;
#define NN_NIL 0               /* nil, or an argument the script did not pass */
#define NN_NUMBER 1            /* a number (a double) */
#define NN_BOOL 2              /* true or false */
#define NN_STRING 3            /* UTF-8 text */
#define NN_TENSOR 4            /* float32 elements with a shape */
#define NN_OTHER 5             /* a list, record, model, function, ...: only its type name */

/* A value handed to a host function. Read-only; every pointer is valid until the callback
 * returns (copy what must outlive it). */
typedef struct nn_value {
  nn_kind kind;
  int rank;               /* NN_TENSOR: the number of dimensions (0 for a scalar tensor) */
  double number;          /* NN_NUMBER: the number; NN_BOOL: 1 or 0 */
  const char *string;     /* NN_STRING: the text, NUL-terminated; NN_OTHER: the type's name
                             as scripts spell it ("list", "model", ...); else NULL */
  int64_t length;         /* NN_STRING: bytes of text before the NUL */
  const float *data;      /* NN_TENSOR: `count` elements, row-major */
  const int64_t *shape;   /* NN_TENSOR: `rank` dimensions */
  int64_t count;          /* NN_TENSOR: the number of elements */
} nn_value;

/* Receives `length` bytes of text the script printed (UTF-8, not NUL-terminated; `print`
 * adds its own line break). Runs on the interpreter's thread. */
typedef void (*nn_output_fn)(void *user, const char *text, int64_t length);

/* A host function: `argv` holds one value per declared parameter, in the order declared
 * (NN_NIL for one the script did not pass). It answers with one nn_return_* call on `call`;
 * none returns nil to the script. Runs on the interpreter's thread. */
typedef void (*nn_host_fn)(void *user, nn_call *call, int argc, const nn_value *argv);

/* Which files scripts may read and write. */
#define NN_FILES_ANY 0         /* any file the process can reach (the default) */
#define NN_FILES_NONE 1        /* no file */
#define NN_FILES_READ 2        /* read files inside file_root; write none */
#define NN_FILES_READ_WRITE 3  /* read and write files inside file_root */

/* Options for nn_new. Fill one with nn_options_init, then change what you need. */
typedef struct nn_options {
  /* Where relative paths resolve (nn_run_file and every path a script uses); NULL: the
   * process's working directory. Copied by nn_new. */
  const char *working_directory;
  /* The most statements, calls and loop iterations one run may take; 0: no limit. */
  int64_t step_limit;
  /* Seconds of wall time one run may take; 0: no limit. */
  double time_limit;
  /* The most bytes the interpreter's tensors, models and buffers may hold; 0: no limit. */
  int64_t memory_limit;
  /* One of NN_FILES_*. */
  int file_access;
  /* The folder NN_FILES_READ and NN_FILES_READ_WRITE allow (relative to working_directory);
   * NULL: working_directory. Copied by nn_new. */
  const char *file_root;
  /* Receives what scripts print; NULL: the process's standard output. */
  nn_output_fn output;
  /* Passed to `output` as its first argument. */
  void *output_user;
  /* Whether the lines training prints per epoch show seconds; 0 for reproducible output. */
  int show_timings;
} nn_options;

/* Sets the defaults: no limits, any file, output to standard output, timings shown. */
void nn_options_init(nn_options *options);

/* A new interpreter with an empty global scope; `options` may be NULL for the defaults.
 * NULL when an option is invalid (an unknown file_access, invalid UTF-8, a negative or
 * non-finite limit). Free it with nn_free. */
nn_interp *nn_new(const nn_options *options);

/* Frees the interpreter and everything it holds; NULL does nothing. Safe from any thread:
 * while a call on it runs, the interpreter is freed when that call returns. The pointer must
 * not be used afterwards. */
void nn_free(nn_interp *interp);

/* Runs script text (UTF-8); `name` is shown in diagnostics and anchors relative imports
 * (NULL: "<input>"). Values the script binds at the top level stay for later runs and
 * nn_get_*. NN_OK, or NN_ERROR, NN_INTERRUPTED or NN_LIMIT with diagnostics. */
nn_status nn_run(nn_interp *interp, const char *source, const char *name);

/* Reads and runs the script at `path` (relative to the working directory option). */
nn_status nn_run_file(nn_interp *interp, const char *path);

/* Asks the running script to stop; safe from any thread, at any time until nn_free. The run
 * stops within a few thousand steps or after the current training batch and returns
 * NN_INTERRUPTED, keeping every value computed so far; the interpreter can run again. A
 * request made while nothing runs is dropped when the next run starts. NN_MISUSE for NULL. */
nn_status nn_cancel(nn_interp *interp);

/* Values by name, at the top level. nn_set_* binds the name as `let name = value` would,
 * replacing any value it had; nn_get_* reads it: NN_NOT_FOUND when unbound, NN_WRONG_KIND
 * when it holds another kind of value. Names are identifiers: a letter or `_`, then letters,
 * digits or `_`. */
nn_status nn_set_number(nn_interp *interp, const char *name, double value);
nn_status nn_get_number(nn_interp *interp, const char *name, double *value);

/* `text` is UTF-8 and copied. */
nn_status nn_set_string(nn_interp *interp, const char *name, const char *text);

/* Copies the text and a NUL into `buffer`, which holds `capacity` bytes, and sets `*length`
 * to the bytes before the NUL (`length` may be NULL). When `capacity` is too small, copies
 * nothing, sets `*length` and returns NN_TOO_SMALL: pass NULL and 0 to ask the length. */
nn_status nn_get_string(nn_interp *interp, const char *name, char *buffer, int64_t capacity,
                        int64_t *length);

/* Binds a float32 tensor of `rank` dimensions (0 to NN_MAX_RANK) given by `shape`, with
 * their product of elements copied from `data`, row-major (`data` may be NULL when that
 * product is 0). NN_MISUSE for a negative dimension or a tensor larger than 2^28 elements. */
nn_status nn_set_tensor(nn_interp *interp, const char *name, const float *data,
                        const int64_t *shape, int rank);

/* The shape of the tensor bound to `name`: `*rank` dimensions into `shape`, which holds
 * NN_MAX_RANK entries, and the number of elements into `*count`. Any of the three may be
 * NULL. */
nn_status nn_tensor_shape(nn_interp *interp, const char *name, int *rank, int64_t *shape,
                          int64_t *count);

/* Copies the tensor's elements, row-major, into `data`, which holds `capacity` floats.
 * NN_TOO_SMALL, copying nothing, when it has more than `capacity` elements. */
nn_status nn_get_tensor(nn_interp *interp, const char *name, float *data, int64_t capacity);

/* The kind of the value bound to `name`. */
nn_status nn_kind_of(nn_interp *interp, const char *name, nn_kind *kind);

/* Binds `name` to a function the host implements: scripts call it as they call a built-in,
 * with the `count` parameters named in `parameters` given by position or by name (`count` may
 * be 0 and `parameters` NULL). `fn` gets `user` back on each call; `user` must stay valid as
 * long as the interpreter. Parameter names are identifiers; the name of a built-in is
 * NN_MISUSE (a script's built-ins cannot be replaced from C). Registering a name again
 * replaces the host function. */
nn_status nn_register(nn_interp *interp, const char *name, const char *const *parameters,
                      int count, nn_host_fn fn, void *user);

/* Answers a host function's call (the last answer counts). A tensor or string is copied. A
 * tensor with a bad shape, or text that is not UTF-8, returns NN_MISUSE and makes the call
 * fail with a diagnostic saying so. */
nn_status nn_return_number(nn_call *call, double value);
nn_status nn_return_bool(nn_call *call, int value);
nn_status nn_return_string(nn_call *call, const char *text);
nn_status nn_return_tensor(nn_call *call, const float *data, const int64_t *shape, int rank);

/* Makes the call fail: the script stops with an error diagnostic at the call, "name: message"
 * (the host function's name, then `message`, which is copied; NULL: "failed"). */
nn_status nn_return_error(nn_call *call, const char *message);

/* 1 when the run the call belongs to was asked to stop (nn_cancel, the time limit), else 0:
 * a long callback polls it and returns early; the run then stops. */
int nn_call_cancelled(nn_call *call);

/* The diagnostics of the last call on the interpreter that returned an nn_status other than
 * NN_OK (a successful call clears them), in the order they were reported. `index` counts
 * from 0; an index out of range (or a busy interpreter) gives NULL or 0. The strings belong
 * to the interpreter (see Ownership above). */
int nn_diagnostic_count(nn_interp *interp);
/* The message, such as "undefined name 'lr'". */
const char *nn_diagnostic_message(nn_interp *interp, int index);
/* The kind of problem as a name, such as "undefinedName" or "interrupted". */
const char *nn_diagnostic_code(nn_interp *interp, int index);
/* Where it is: the script's name, 1-based line and column (in characters); NULL and 0 for a
 * diagnostic without a place (a file that cannot be read, a misuse of the API). */
const char *nn_diagnostic_file(nn_interp *interp, int index);
int nn_diagnostic_line(nn_interp *interp, int index);
int nn_diagnostic_column(nn_interp *interp, int index);
/* A suggestion, such as "did you mean 'lrs'?"; NULL when there is none. */
const char *nn_diagnostic_hint(nn_interp *interp, int index);
/* The diagnostic as the nn command prints it: the message, the source line with carets
 * under the place, the hint and notes; ends in a line break. */
const char *nn_diagnostic_rendered(nn_interp *interp, int index);
/* Every diagnostic rendered, separated by blank lines; "" when there are none. */
const char *nn_diagnostics_rendered(nn_interp *interp);

#ifdef __cplusplus
}
#endif

#endif /* NN_H */
