/* agape: command-line entry point. `agape run DECK`, `agape --help`, `agape --version`. */
#include "agape/driver.h"
#include "agape/version.h"
#include "agape/stop.h"
#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
  fprintf(f,
          "AGAPE %s - anisotropic superconducting gap equation (SCDFT) solver\n"
          "\n"
          "Usage:\n"
          "  agape run DECK [--output FILE] [--restart]\n"
          "                      solve the deck (INI file; see docs/input.md); --output replaces the\n"
          "                      deck's [output] file (e.g. a folder per batch job); --restart\n"
          "                      continues from the newest checkpoint of that results file (or starts\n"
          "                      from the beginning if there is none)\n"
          "  agape --help        this text\n"
          "  agape --version     version and build\n"
          "\n"
          "Run in parallel with MPI, e.g.\n"
          "  OMP_NUM_THREADS=1 mpirun -np 2 build/agape run inputs/CsB12.in\n"
          "  srun --cpus-per-task=$SLURM_CPUS_PER_TASK build/agape run deck.in\n"
          "\n"
          "Output: results.h5 (HDF5, every dataset with a units attribute), gap_histogram.dat\n"
          "and gap_histogram.png beside it; results.checkpoint.h5 (and .prev) for --restart,\n"
          "written every [output] checkpoint_interval_s, after each temperature and on SIGTERM or\n"
          "SIGUSR1 (then AGAPE stops at the next safe point).\n"
          "Exit status: 0 success (also when the Tc search finds no superconductivity above its\n"
          "floor: /tc = 0, /tc_status = none); 4 finished and every result is written, but some\n"
          "temperature did not converge within max_iter (/gap/converged marks them) or Tc could\n"
          "not be bracketed (/tc = NaN, /tc_status = no_bracket); 3 stopped by SIGTERM/SIGUSR1\n"
          "after writing a checkpoint (continue with --restart); 2 bad command line; 1 any other\n"
          "error.\n",
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
  const char *output = NULL, *bad = NULL;
  int restart = 0;
  if (argc < 2)
    bad = "no command given";
  else if (strcmp(argv[1], "run") != 0)
    bad = "unknown command";
  else if (argc < 3 || argv[2][0] == '-')
    bad = "run: no deck given";
  for (int a = 3; a < argc && !bad; a++) {
    if (!strcmp(argv[a], "--restart"))
      restart = 1;
    else if (!strcmp(argv[a], "--output") && a + 1 < argc && !output)
      output = argv[++a];
    else
      bad = "run: unknown or repeated option, or --output without a file";
  }
  if (bad) {
    fprintf(stderr, "agape: error: %s\n\n", bad);
    usage(stderr);
    return 2;
  }
  agape_par par;
  if (agape_par_init(&argc, &argv, &par) != AGAPE_OK) {
    fprintf(stderr, "agape: error: MPI initialisation failed\n");
    return 1;
  }
  agape_stop_install(par.rank);
  agape_err err = agape_run(&par, argv[2], output, restart);
  if (err == AGAPE_UNCONVERGED && par.rank == 0)
    fprintf(stderr, "agape: warning: %s\n", agape_strerror(err));
  else if (err && err != AGAPE_STOPPED && par.rank == 0)
    fprintf(stderr, "agape: stopped: %s\n", agape_strerror(err));
  agape_par_finalize(&par);
  return err == AGAPE_STOPPED ? AGAPE_EXIT_STOPPED : err == AGAPE_UNCONVERGED ? AGAPE_EXIT_UNCONVERGED : err ? 1 : 0;
}
