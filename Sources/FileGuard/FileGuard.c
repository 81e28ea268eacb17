#include "FileGuard.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SLOTS 64

// Strings handed to the handlers are copied and never freed: a handler running on another
// thread may hold a pointer at any moment. A command registers a handful.
static _Atomic(char *) temporaries[SLOTS];

struct mapping {
    _Atomic(uintptr_t) base;
    _Atomic(size_t) size;
    _Atomic(const char *) message;
    _Atomic(size_t) length;
};
static struct mapping mappings[SLOTS];
static atomic_flag mapping_claimed[SLOTS];
static atomic_flag temporary_claimed[SLOTS];

#define INTERRUPTS 4
static const int interrupting[INTERRUPTS] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
static struct sigaction previous_interrupt[INTERRUPTS];
static struct sigaction previous_bus;
static int bus_installed;
static pthread_once_t interrupt_once = PTHREAD_ONCE_INIT;
static pthread_once_t bus_once = PTHREAD_ONCE_INIT;

static void remove_temporaries(void) {
    for (int i = 0; i < SLOTS; i++) {
        char *path = atomic_load(&temporaries[i]);
        if (path) unlink(path);
    }
}

// Removes the temporaries, puts the earlier disposition back and raises the signal again, so
// that the process ends (or goes on) as it would have without us, exit status included. SIGQUIT
// (Ctrl-\\) takes its default action, ending the process: the Swift runtime's handler for it
// printed a crash report and then let the run go on to finish and exit 0.
static void on_interrupt(int signal) {
    int saved = errno;
    remove_temporaries();
    for (int i = 0; i < INTERRUPTS; i++) {
        if (interrupting[i] != signal) continue;
        if (signal == SIGQUIT) {
            struct sigaction fallback;
            memset(&fallback, 0, sizeof fallback);
            fallback.sa_handler = SIG_DFL;
            sigaction(signal, &fallback, NULL);
        } else {
            sigaction(signal, &previous_interrupt[i], NULL);
        }
    }
    raise(signal);
    errno = saved;
}

static void install_interrupt_handlers(void) {
    for (int i = 0; i < INTERRUPTS; i++) {
        struct sigaction current;
        if (sigaction(interrupting[i], NULL, &current) != 0) continue;
        // An ignored signal (`nohup`, a background job's SIGINT) stays ignored.
        if (!(current.sa_flags & SA_SIGINFO) && current.sa_handler == SIG_IGN) continue;
        struct sigaction action;
        memset(&action, 0, sizeof action);
        action.sa_handler = on_interrupt;
        sigemptyset(&action.sa_mask);
        action.sa_flags = SA_RESTART;
        sigaction(interrupting[i], &action, &previous_interrupt[i]);
    }
}

void gmm_guard_signals(void) {
    pthread_once(&interrupt_once, install_interrupt_handlers);
}

int gmm_guard_temporary(const char *path) {
    pthread_once(&interrupt_once, install_interrupt_handlers);
    char *copy = strdup(path);
    if (!copy) return -1;
    for (int i = 0; i < SLOTS; i++) {
        if (!atomic_flag_test_and_set(&temporary_claimed[i])) {
            atomic_store(&temporaries[i], copy);
            return i;
        }
    }
    free(copy);
    return -1;
}

void gmm_unguard_temporary(int slot) {
    if (slot < 0 || slot >= SLOTS) return;
    // The handler reads the slot atomically; once it holds NULL no handler can start on this
    // path, so the copy is ours to free.
    char *copy = atomic_exchange(&temporaries[slot], NULL);
    atomic_flag_clear(&temporary_claimed[slot]);
    free(copy);
}

static void on_bus(int signal, siginfo_t *info, void *context) {
    uintptr_t address = (uintptr_t)info->si_addr;
    for (int i = 0; i < SLOTS; i++) {
        uintptr_t base = atomic_load(&mappings[i].base);
        size_t size = atomic_load(&mappings[i].size);
        if (base != 0 && address >= base && address - base < size) {
            const char *message = atomic_load(&mappings[i].message);
            size_t length = atomic_load(&mappings[i].length);
            if (message) {
                ssize_t written = write(STDERR_FILENO, message, length);
                (void)written;
            }
            remove_temporaries();
            _exit(74);
        }
    }
    // Not one of ours: the earlier handler, or the default action (the access faults again).
    if (previous_bus.sa_flags & SA_SIGINFO) {
        if (previous_bus.sa_sigaction) { previous_bus.sa_sigaction(signal, info, context); return; }
    } else if (previous_bus.sa_handler != SIG_DFL && previous_bus.sa_handler != SIG_IGN) {
        previous_bus.sa_handler(signal);
        return;
    }
    struct sigaction fallback;
    memset(&fallback, 0, sizeof fallback);
    fallback.sa_handler = SIG_DFL;
    sigaction(SIGBUS, &fallback, NULL);
}

static void install_bus_handler(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_bus;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;
    bus_installed = sigaction(SIGBUS, &action, &previous_bus) == 0;
}

int gmm_guard_mapping(const void *base, size_t size, const char *message) {
    pthread_once(&bus_once, install_bus_handler);
    if (!bus_installed) return -1;
    char *copy = strdup(message);
    if (!copy) return -1;
    for (int i = 0; i < SLOTS; i++) {
        if (!atomic_flag_test_and_set(&mapping_claimed[i])) {
            atomic_store(&mappings[i].message, copy);
            atomic_store(&mappings[i].length, strlen(copy));
            atomic_store(&mappings[i].size, size);
            atomic_store(&mappings[i].base, (uintptr_t)base);
            return i;
        }
    }
    free(copy);
    return -1;
}

void gmm_unguard_mapping(int slot) {
    if (slot < 0 || slot >= SLOTS) return;
    atomic_store(&mappings[slot].base, 0);
    // With the base cleared no fault matches the slot any more: its message is ours to free.
    char *message = (char *)atomic_exchange(&mappings[slot].message, NULL);
    atomic_flag_clear(&mapping_claimed[slot]);
    free(message);
}
