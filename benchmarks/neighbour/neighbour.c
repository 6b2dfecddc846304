/* A noisy neighbour for benchmarks/scoring-beside-a-neighbour.sh: one thread that takes a resource a co-tenant on a
 * shared host would take, until killed. "memory" copies between two 256 MiB buffers (memory bandwidth, and the L3 cache
 * it evicts on the way); "compute" runs multiply-adds in registers (a core's arithmetic, no memory). Every 2 s it writes
 * its rate to stdout, so the write-up can say how much it took. Plain C because no installed tool does exactly this
 * (stress-ng is not installed, and Debian's package pulls more than a benchmark should need). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t stop;
static void on_term(int sig) { (void)sig; stop = 1; }

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static int run_memory(void) {
  const size_t bytes = (size_t)256 << 20;
  char *a = malloc(bytes), *b = malloc(bytes);
  if (!a || !b) { fprintf(stderr, "neighbour: out of memory\n"); return 1; }
  memset(a, 1, bytes); memset(b, 2, bytes);
  double start = now(), moved = 0;
  while (!stop) {
    memcpy(b, a, bytes); memcpy(a, b, bytes);
    moved += 4.0 * bytes; /* each copy reads and writes its size */
    double t = now();
    if (t - start >= 2.0) { printf("memory %.1f GB/s\n", moved / (t - start) / 1e9); fflush(stdout); start = t; moved = 0; }
  }
  free(a); free(b);
  return 0;
}

static int run_compute(void) {
  /* 32 independent chains, so the vector units stay busy (the compiler vectorizes across them at -O3). */
  float acc[32];
  for (int k = 0; k < 32; k++) acc[k] = (float)k;
  const float m = 0.999999f, c = 1e-6f;
  double start = now(), flops = 0;
  while (!stop) {
    for (int i = 0; i < 1000000; i++)
      for (int k = 0; k < 32; k++) acc[k] = acc[k] * m + c;
    flops += 64e6;
    double t = now();
    if (t - start >= 2.0) { printf("compute %.2f GFLOP/s (%g)\n", flops / (t - start) / 1e9, acc[0]); fflush(stdout); start = t; flops = 0; }
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 2 || (strcmp(argv[1], "memory") && strcmp(argv[1], "compute"))) {
    fprintf(stderr, "usage: neighbour memory|compute\n");
    return 2;
  }
  signal(SIGTERM, on_term); signal(SIGINT, on_term);
  return strcmp(argv[1], "memory") == 0 ? run_memory() : run_compute();
}
