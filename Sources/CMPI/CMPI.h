// Open MPI for Swift (the `MPI` package trait). Open MPI's handles (MPI_COMM_WORLD, MPI_DOUBLE,
// MPI_SUM, ...) are macros over the addresses of global structs, which Swift cannot import:
// these functions return them.
#ifndef GMM_CMPI_H
#define GMM_CMPI_H
#include <mpi.h>

static inline MPI_Comm gmm_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype gmm_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype gmm_mpi_int(void) { return MPI_INT; }
static inline MPI_Datatype gmm_mpi_byte(void) { return MPI_BYTE; }
static inline MPI_Op gmm_mpi_sum(void) { return MPI_SUM; }
static inline MPI_Op gmm_mpi_max(void) { return MPI_MAX; }
static inline MPI_Errhandler gmm_mpi_errors_are_fatal(void) { return MPI_ERRORS_ARE_FATAL; }
static inline MPI_Info gmm_mpi_info_null(void) { return MPI_INFO_NULL; }
static inline MPI_Status *gmm_mpi_status_ignore(void) { return MPI_STATUS_IGNORE; }

#endif
