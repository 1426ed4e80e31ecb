/* fuzz.h: what every fuzz target defines, for libFuzzer and the replay driver. */
#ifndef VAUTH_FUZZ_H
#define VAUTH_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* libFuzzer's entry point: one input, return 0. A broken invariant aborts,
 * which both libFuzzer and the replay driver report as a crash. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(cond) do { if (!(cond)) abort(); } while (0)

#endif
