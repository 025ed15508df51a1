// The one part of the C API written in C: a status's name needs no interpreter.
#include "nn.h"

const char *nn_status_name(nn_status status) {
  switch (status) {
  case NN_OK: return "NN_OK";
  case NN_ERROR: return "NN_ERROR";
  case NN_INTERRUPTED: return "NN_INTERRUPTED";
  case NN_LIMIT: return "NN_LIMIT";
  case NN_MISUSE: return "NN_MISUSE";
  case NN_NOT_FOUND: return "NN_NOT_FOUND";
  case NN_WRONG_KIND: return "NN_WRONG_KIND";
  case NN_TOO_SMALL: return "NN_TOO_SMALL";
  case NN_BUSY: return "NN_BUSY";
  default: return "NN_UNKNOWN";
  }
}
