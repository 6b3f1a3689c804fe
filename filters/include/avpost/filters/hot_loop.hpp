#pragma once
// Per-pixel row loops are compiled for AVX2 as well as the baseline, and the best one is picked
// at load time, so one binary runs everywhere and uses the wide vectors where they exist.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define AVPOST_HOT_LOOP __attribute__((target_clones("avx2", "default")))
#else
#define AVPOST_HOT_LOOP
#endif
