// A small persistent thread pool. A decode step issues a few hundred parallel regions, so workers spin
// briefly before sleeping: waking a sleeping thread costs tens of microseconds, a spin round trip ~1 µs.
#include "internal.h"
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <unistd.h>

#define CSK_MAX_THREADS CSK_MAX_POOL_THREADS
#define CSK_SPIN_ROUNDS 20000

static inline void cpu_relax(void) {
#if CSK_X86
    __builtin_ia32_pause();
#elif CSK_ARM64
    // A hint to SMT siblings and to the power manager; the Linux kernel spins with it too.
    __asm__ __volatile__("yield");
#endif
}

static struct {
    pthread_once_t once;
    pthread_mutex_t run_lock;      // one parallel region at a time, whoever calls
    pthread_mutex_t sleep_lock;
    pthread_cond_t wake;
    pthread_cond_t idle;           // workers beyond the thread count park here
    int nthreads;                  // including the calling thread
    int started;                   // workers created so far
    atomic_uint generation;
    atomic_uint open;              // the generation still accepting helpers, 0 once the caller is done
    atomic_int busy;               // helpers inside the current region
    atomic_int sleepers;
    csk_task_fn fn;
    void *arg;
    int active;                    // threads taking part in the current region
    unsigned start_generation[CSK_MAX_THREADS];
} pool = { .once = PTHREAD_ONCE_INIT, .run_lock = PTHREAD_MUTEX_INITIALIZER,
           .sleep_lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER,
           .idle = PTHREAD_COND_INITIALIZER };

static void *worker(void *p) {
    int tid = (int)(intptr_t)p;
    // The generation current when this worker was created (under run_lock, before any region it must join).
    unsigned seen = pool.start_generation[tid];
    for (;;) {
        unsigned g;
        int spins = 0;
        pthread_mutex_lock(&pool.sleep_lock);
        if (tid >= pool.nthreads) {
            // Not needed at the current thread count: park without spinning or joining regions.
            while (tid >= pool.nthreads) pthread_cond_wait(&pool.idle, &pool.sleep_lock);
            seen = atomic_load(&pool.generation);
        }
        pthread_mutex_unlock(&pool.sleep_lock);
        while ((g = atomic_load_explicit(&pool.generation, memory_order_acquire)) == seen) {
            if (++spins < CSK_SPIN_ROUNDS) {
                // Yield now and then: on a busy machine the caller may share this CPU, and a pure spin
                // would take its time slice.
                if ((spins & 127) == 0) sched_yield(); else cpu_relax();
                continue;
            }
            pthread_mutex_lock(&pool.sleep_lock);
            atomic_fetch_add(&pool.sleepers, 1);
            while (atomic_load(&pool.generation) == seen) pthread_cond_wait(&pool.wake, &pool.sleep_lock);
            atomic_fetch_sub(&pool.sleepers, 1);
            pthread_mutex_unlock(&pool.sleep_lock);
            spins = 0;
        }
        seen = g;
        // Join only while the caller is still inside region g: a helper that wakes late skips it instead of
        // making the caller wait, so every task must hand out its work dynamically.
        atomic_fetch_add(&pool.busy, 1);
        if (atomic_load(&pool.open) == g && tid < pool.active) pool.fn(pool.arg, tid, pool.active);
        atomic_fetch_sub_explicit(&pool.busy, 1, memory_order_release);
    }
    return NULL;
}

static void init_pool(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    pool.nthreads = n >= 2 ? 2 : 1;
}

static void ensure_workers(void) {
    while (pool.started < pool.nthreads - 1) {
        pthread_t t;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pool.start_generation[pool.started + 1] = atomic_load(&pool.generation);
        if (pthread_create(&t, &attr, worker, (void *)(intptr_t)(pool.started + 1)) != 0) {
            pthread_attr_destroy(&attr);
            pthread_mutex_lock(&pool.sleep_lock);
            pool.nthreads = pool.started + 1;  // run with the threads we have
            pthread_mutex_unlock(&pool.sleep_lock);
            return;
        }
        pthread_attr_destroy(&attr);
        pool.started++;
    }
}

int csk_set_threads(int n) {
    pthread_once(&pool.once, init_pool);
    if (n < 1) n = 1;
    if (n > CSK_MAX_THREADS) n = CSK_MAX_THREADS;
    pthread_mutex_lock(&pool.run_lock);
    pthread_mutex_lock(&pool.sleep_lock);
    pool.nthreads = n;
    pthread_cond_broadcast(&pool.idle);
    pthread_mutex_unlock(&pool.sleep_lock);
    ensure_workers();
    int result = pool.nthreads;
    pthread_mutex_unlock(&pool.run_lock);
    return result;
}

int csk_thread_count(void) { return csk_pool_threads(); }

// The most threads the calling thread's regions may use (0: the pool's count): a model's own thread count,
// set by its generation thread, without changing the pool that other models share.
static _Thread_local int caller_limit = 0;

void csk_set_caller_threads(int n) { caller_limit = n > 0 ? n : 0; }

int csk_pool_threads(void) {
    pthread_once(&pool.once, init_pool);
    return pool.nthreads;
}

void csk_pool_run(csk_task_fn fn, void *arg) {
    pthread_once(&pool.once, init_pool);
    // Another caller (a concurrent generation, another model) holds the workers: run this region on the
    // calling thread alone instead of queueing behind it. Unrelated models never serialise each other,
    // and the machine's cores stay busy with both.
    if (pthread_mutex_trylock(&pool.run_lock) != 0) {
        fn(arg, 0, 1);
        return;
    }
    ensure_workers();
    int n = pool.nthreads;
    if (caller_limit > 0 && caller_limit < n) n = caller_limit;
    if (n <= 1) {
        fn(arg, 0, 1);
        pthread_mutex_unlock(&pool.run_lock);
        return;
    }
    pool.fn = fn;
    pool.arg = arg;
    pool.active = n;
    // Open the region before publishing its generation: a helper that sees the new generation must also
    // see it open (both are seq_cst). Only this thread (holding run_lock) writes the generation.
    unsigned g = atomic_load(&pool.generation) + 1;
    if (g == 0) g = 1;  // 0 means "closed"
    atomic_store(&pool.open, g);
    atomic_store(&pool.generation, g);
    if (atomic_load(&pool.sleepers) > 0) {
        pthread_mutex_lock(&pool.sleep_lock);
        pthread_cond_broadcast(&pool.wake);
        pthread_mutex_unlock(&pool.sleep_lock);
    }
    fn(arg, 0, n);
    atomic_store(&pool.open, 0);
    int spins = 0;
    while (atomic_load_explicit(&pool.busy, memory_order_acquire) > 0) {
        if ((++spins & 127) == 0) sched_yield(); else cpu_relax();
    }
    pthread_mutex_unlock(&pool.run_lock);
}
