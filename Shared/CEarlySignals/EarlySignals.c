// The recording SIGTERM/SIGINT handler of Switchboard's executables, in C so that it can be installed by a load-time
// constructor: before Swift's async `main` starts, libdispatch's `dispatch_main` empties the main thread's signal mask,
// and a stop signal that a spawner held back would otherwise be delivered with its default action in that gap.
#include "CEarlySignals.h"

#include <pthread.h>
#include <signal.h>
#include <string.h>

static int early_signal = 0;

static void record(int number) {
    int expected = 0;
    // Lock-free atomics are async-signal-safe.
    if (__atomic_compare_exchange_n(&early_signal, &expected, number, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) return;
    signal(number, SIG_DFL);
    raise(number);
}

void cearly_signals_install(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = record;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGINT, &action, NULL);
}

int cearly_signals_take(void) {
    return __atomic_exchange_n(&early_signal, 0, __ATOMIC_SEQ_CST);
}

// Only a process whose spawner blocked SIGTERM (`ChildProcess(holdingStopSignals: true)`) asked for held signals; any
// other process (a shell's, a test runner) keeps the default action until its `main` calls `EarlySignals.hold()`.
__attribute__((constructor)) static void install_when_held(void) {
    sigset_t current;
    if (pthread_sigmask(SIG_SETMASK, NULL, &current) == 0 && sigismember(&current, SIGTERM) == 1) cearly_signals_install();
}
