/* agape: command-line entry point. `agape run DECK`, `agape --help`, `agape --version`. */
#include "agape/driver.h"
#include "agape/version.h"
#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
  fprintf(f,
    "AGAPE %s - anisotropic superconducting gap equation (SCDFT) solver\n"
    "\n"
    "Usage:\n"
    "  agape run DECK [--output FILE]\n"
    "                      solve the deck (INI file; see docs/input.md); --output replaces the\n"
    "                      deck's [output] file (e.g. a folder per batch job)\n"
    "  agape --help        this text\n"
    "  agape --version     version and build\n"
    "\n"
    "Run in parallel with MPI, e.g.\n"
    "  OMP_NUM_THREADS=1 mpirun -np 2 build/agape run inputs/CsB12.in\n"
    "  srun --cpus-per-task=$SLURM_CPUS_PER_TASK build/agape run deck.in\n"
    "\n"
    "Output: results.h5 (HDF5, every dataset with a units attribute), gap_histogram.dat\n"
    "and gap_histogram.png beside it. Exit status 0 on success, non-zero on any error.\n",
    AGAPE_VERSION_STRING);
}

int main(int argc, char **argv)
{
  /* commands that need no MPI */
  if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help"))) {
    usage(stdout);
    return 0;
  }
  if (argc >= 2 && (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version"))) {
    printf("agape %s (git %s, results format %d)\n", AGAPE_VERSION_STRING, AGAPE_GIT_HASH, AGAPE_FORMAT_VERSION);
    return 0;
  }
  const char *output = NULL;
  if (argc == 5 && !strcmp(argv[3], "--output")) output = argv[4];
  if ((argc != 3 && !output) || strcmp(argv[1], "run") != 0) {
    fprintf(stderr, "agape: error: %s\n\n", argc < 2 ? "no command given" : "unknown command or wrong arguments");
    usage(stderr);
    return 2;
  }
  agape_par par;
  if (agape_par_init(&argc, &argv, &par) != AGAPE_OK) {
    fprintf(stderr, "agape: error: MPI initialisation failed\n");
    return 1;
  }
  agape_err err = agape_run(&par, argv[2], output);
  if (err && par.rank == 0) fprintf(stderr, "agape: stopped: %s\n", agape_strerror(err));
  agape_par_finalize(&par);
  return err ? 1 : 0;
}
