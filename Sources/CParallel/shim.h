// The few atomic operations and the spin hint the thread pool of NNRuntime/Plan/Parallel.swift
// needs, as C11 builtins on plain words: the Synchronization module's Atomic needs macOS 15,
// above the package's platform. Every operation is sequentially consistent: the pool's
// hand-off (publish a job, then look for sleepers; count a sleeper, then look for a job) is
// correct only under a single total order of those stores and loads.
#ifndef NN_CPARALLEL_SHIM_H
#define NN_CPARALLEL_SHIM_H

static inline long cparallel_load(const long *word) {
  return __atomic_load_n(word, __ATOMIC_SEQ_CST);
}

static inline void cparallel_store(long *word, long value) {
  __atomic_store_n(word, value, __ATOMIC_SEQ_CST);
}

/// Adds `delta` and returns the value before.
static inline long cparallel_add(long *word, long delta) {
  return __atomic_fetch_add(word, delta, __ATOMIC_SEQ_CST);
}

/// Stores `desired` when the word holds `expected`; true when it did.
static inline int cparallel_exchange(long *word, long expected, long desired) {
  return __atomic_compare_exchange_n(word, &expected, desired, 0, __ATOMIC_SEQ_CST,
                                     __ATOMIC_SEQ_CST);
}

/// Tells the core this thread is spinning (frees the sibling hyperthread's pipeline).
static inline void cparallel_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

#endif
