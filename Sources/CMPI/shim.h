// The MPI C API as NNDistributed sees it. Open MPI defines MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM,
// MPI_IN_PLACE and the like as macros over incomplete global structs or casts, which Swift cannot
// import; these functions give them back as values (TOOLCHAIN.md, "Open MPI"). Only the
// MPI trait builds this module, and only where libopenmpi-dev is installed.
#ifndef NN_CMPI_SHIM_H
#define NN_CMPI_SHIM_H

#include <mpi.h>

static inline MPI_Comm cmpi_comm_world(void) { return MPI_COMM_WORLD; }

static inline MPI_Datatype cmpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype cmpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype cmpi_int64(void) { return MPI_INT64_T; }

static inline MPI_Op cmpi_op_sum(void) { return MPI_SUM; }

static inline void *cmpi_in_place(void) { return MPI_IN_PLACE; }
static inline MPI_Status *cmpi_status_ignore(void) { return MPI_STATUS_IGNORE; }
static inline MPI_Request cmpi_request_null(void) { return MPI_REQUEST_NULL; }

static inline int cmpi_success(void) { return MPI_SUCCESS; }
static inline int cmpi_thread_single(void) { return MPI_THREAD_SINGLE; }
static inline int cmpi_thread_funneled(void) { return MPI_THREAD_FUNNELED; }
static inline int cmpi_thread_serialized(void) { return MPI_THREAD_SERIALIZED; }
static inline int cmpi_thread_multiple(void) { return MPI_THREAD_MULTIPLE; }

static inline MPI_Op cmpi_op_min(void) { return MPI_MIN; }
static inline MPI_Datatype cmpi_int(void) { return MPI_INT; }
static inline int cmpi_comm_type_shared(void) { return MPI_COMM_TYPE_SHARED; }
static inline MPI_Info cmpi_info_null(void) { return MPI_INFO_NULL; }
static inline int cmpi_mode_nocheck(void) { return MPI_MODE_NOCHECK; }
static inline MPI_Errhandler cmpi_errors_return(void) { return MPI_ERRORS_RETURN; }

static inline int cmpi_max_processor_name(void) { return MPI_MAX_PROCESSOR_NAME; }
static inline int cmpi_max_library_version_string(void) {
  return MPI_MAX_LIBRARY_VERSION_STRING;
}
static inline int cmpi_max_error_string(void) { return MPI_MAX_ERROR_STRING; }

#endif
