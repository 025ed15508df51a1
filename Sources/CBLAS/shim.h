#include <cblas.h>
// Not in every cblas.h: OpenBLAS-specific entry points used for diagnostics and benchmarks.
char *openblas_get_corename(void);
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
