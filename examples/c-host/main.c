// An example C host of libNNC (docs/c-api.md): it hands the interpreter training data, registers
// a host function, trains a model from a script, reads the predictions back, shows the
// diagnostics of broken snippets and misuses, and cancels a run from another thread.
//
//   cc -I Sources/CNN/include examples/c-host/main.c -L .build/debug -lNNC
//     -Wl,-rpath,"$PWD/.build/debug" -lpthread -o c-host && ./c-host
#define _POSIX_C_SOURCE 200809L  // nanosleep
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "nn.h"

static const char *training_script =
    "seed(0)\n"
    "let data = dataset(inputs, xor_targets(inputs))\n"
    "model net(2) { dense(8, tanh); dense(1, sigmoid) }\n"
    "let h = train net on data {\n"
    "  loss: mse, optimizer: adam(lr: 0.05), epochs: epochs, progress: false\n"
    "}\n"
    "let predictions = net(inputs)\n"
    "let final_loss = h.loss[-1]\n"
    "print(\"trained for {epochs} epochs\")\n";

// The output function's user data: it counts what the script printed.
struct printed {
  long bytes;
};

static void output(void *user, const char *text, int64_t length) {
  ((struct printed *)user)->bytes += (long)length;
  fwrite(text, 1, (size_t)length, stdout);
}

// xor_targets(x): one target per row of an [n, 2] tensor of zeros and ones, as an [n, 1] tensor.
static void xor_targets(void *user, nn_call *call, int argc, const nn_value *argv) {
  (void)user;
  (void)argc;
  const nn_value *x = &argv[0];
  if (x->kind != NN_TENSOR || x->rank != 2 || x->shape[1] != 2 || x->shape[0] > 1024) {
    nn_return_error(call, "expected a tensor of shape [n, 2] with n <= 1024");
    return;
  }
  float targets[1024];
  int64_t rows = x->shape[0];
  for (int64_t row = 0; row < rows; row++) {
    targets[row] = (x->data[2 * row] > 0.5f) != (x->data[2 * row + 1] > 0.5f);
  }
  int64_t shape[2] = {rows, 1};
  nn_return_tensor(call, targets, shape, 2);
}

// Prints each diagnostic of the last failed call: where, what, and as the nn command shows it.
static void show_diagnostics(nn_interp *interp, nn_status status) {
  printf("status %s, %d diagnostic(s)\n", nn_status_name(status), nn_diagnostic_count(interp));
  for (int index = 0; index < nn_diagnostic_count(interp); index++) {
    const char *file = nn_diagnostic_file(interp, index);
    printf("%s:%d:%d: [%s] %s\n", file ? file : "-", nn_diagnostic_line(interp, index),
           nn_diagnostic_column(interp, index), nn_diagnostic_code(interp, index),
           nn_diagnostic_message(interp, index));
  }
  printf("%s", nn_diagnostics_rendered(interp));
}

// Cancels the interpreter again and again until the run it stops has returned: a request made
// before the run starts is dropped when it starts.
struct canceller {
  nn_interp *interp;
  atomic_int done;
};

static void *cancel_soon(void *argument) {
  struct canceller *canceller = argument;
  struct timespec pause = {0, 20 * 1000 * 1000};
  while (!atomic_load(&canceller->done)) {
    nanosleep(&pause, NULL);
    nn_cancel(canceller->interp);
  }
  return NULL;
}

int main(void) {
  struct printed printed = {0};
  nn_options options;
  nn_options_init(&options);
  options.output = output;
  options.output_user = &printed;
  options.show_timings = 0;
  nn_interp *interp = nn_new(&options);
  if (!interp) return 1;

  // Data in: a tensor and a number, then a host function the script calls.
  float inputs[8] = {0, 0, 0, 1, 1, 0, 1, 1};
  int64_t input_shape[2] = {4, 2};
  const char *parameters[1] = {"x"};
  if (nn_set_tensor(interp, "inputs", inputs, input_shape, 2) != NN_OK ||
      nn_set_number(interp, "epochs", 500) != NN_OK ||
      nn_register(interp, "xor_targets", parameters, 1, xor_targets, NULL) != NN_OK) {
    return 1;
  }

  nn_status status = nn_run(interp, training_script, "train.nn");
  if (status != NN_OK) {
    show_diagnostics(interp, status);
    return 1;
  }

  // Results out: the predictions' shape, then their elements.
  int rank = 0;
  int64_t shape[NN_MAX_RANK], count = 0;
  float predictions[4];
  double loss = 1;
  if (nn_tensor_shape(interp, "predictions", &rank, shape, &count) != NN_OK || count != 4 ||
      nn_get_tensor(interp, "predictions", predictions, 4) != NN_OK ||
      nn_get_number(interp, "final_loss", &loss) != NN_OK) {
    return 1;
  }
  printf("predictions, shape [%lld, %lld]:\n", (long long)shape[0], (long long)shape[1]);
  for (int row = 0; row < 4; row++) {
    printf("  %g xor %g -> %.2f\n", inputs[2 * row], inputs[2 * row + 1], predictions[row]);
  }
  printf("final loss below 0.01: %s\n", loss < 0.01 ? "yes" : "no");

  // Failures: a script error with a hint, an error from the host function, misuses.
  printf("\n-- a misspelt name\n");
  show_diagnostics(interp, nn_run(interp, "print(nett(inputs))", "typo.nn"));
  printf("\n-- a host function refusing its argument\n");
  show_diagnostics(interp, nn_run(interp, "let t = xor_targets(\"oops\")", "host.nn"));
  printf("\n-- reading a number as a tensor\n");
  show_diagnostics(interp, nn_get_tensor(interp, "final_loss", predictions, 4));
  printf("\n-- a buffer too small\n");
  show_diagnostics(interp, nn_get_tensor(interp, "predictions", predictions, 2));

  // Cancelling from another thread: the run stops, and the interpreter runs the next snippet.
  printf("\n-- cancelled from another thread\n");
  struct canceller canceller = {interp, 0};
  pthread_t thread;
  pthread_create(&thread, NULL, cancel_soon, &canceller);
  status = nn_run(interp, "let spins = 0\nwhile true { spins += 1 }", "spin.nn");
  atomic_store(&canceller.done, 1);
  pthread_join(thread, NULL);
  printf("status %s: %s\n", nn_status_name(status), nn_diagnostic_message(interp, 0));
  double spins = 0;
  nn_get_number(interp, "spins", &spins);
  printf("spun before the cancel: %s\n", spins > 0 ? "yes" : "no");
  printf("next run: %s\n", nn_status_name(nn_run(interp, "print(\"still here\")", "next.nn")));

  printf("the script printed %ld bytes\n", printed.bytes);
  nn_free(interp);
  return 0;
}
