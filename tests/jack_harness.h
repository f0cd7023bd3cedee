/* Test harness: a private jackd (dummy backend) and accompd, started and stopped by PID. */
#ifndef ACCOMPD_JACK_HARNESS_H
#define ACCOMPD_JACK_HARNESS_H

#include <jack/jack.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct {
    pid_t pid;
    char name[64]; /* unique server name; exported as JACK_DEFAULT_SERVER */
    char log[256];
} AcdTestServer;

/* Start `jackd -n <name> -d dummy -r 48000 -p 256` and wait until a client
 * can connect. name NULL: a fresh unique name (else reuse, for restarts). */
bool acd_test_jackd_start(AcdTestServer *s, const char *name);

/* Stop the server with sig (SIGTERM, SIGKILL) and reap it. */
void acd_test_jackd_stop(AcdTestServer *s, int sig);

typedef struct {
    pid_t pid;
    char log[256];
} AcdTestDaemon;

/* Start the built accompd ($ACD_ACCOMPD) with the tiny reference model
 * ($ACD_TEST_MODEL overrides) and
 * extra arguments (NULL-terminated), logging to a file; wait until its
 * ports exist (through `probe`, any client on the server). */
bool acd_test_accompd_start(AcdTestDaemon *d, jack_client_t *probe, const char *const *args);

/* Send sig and reap; returns the exit status (or 128 + signal). */
int acd_test_accompd_stop(AcdTestDaemon *d, int sig);

/* A counter from the last log line starting with `what` ("final",
 * "counters"). False when absent. */
bool acd_test_accompd_counter(const AcdTestDaemon *d, const char *what, const char *name,
                              uint64_t *value);

/* Lines of the log containing `needle`. */
int acd_test_log_count(const char *path, const char *needle);

/* Wait until the port exists, up to ms. */
bool acd_test_wait_port(jack_client_t *c, const char *port, int ms);

/* Print every thread's stack of a process (gdb, when installed): for
 * diagnosing a hang in a failed test. */
void acd_test_dump_stacks(pid_t pid);

/* Open file descriptors of a process (for leak checks). */
int acd_test_fd_count(pid_t pid);

#endif
