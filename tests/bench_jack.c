/* Benchmark of the live daemon on a private jackd: response latency, scheduling error, CPU, memory.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jack_harness.h"
#include "jack_probe.h"

#define STEP   6000 /* frames per 16th at 120 BPM, 48 kHz */
#define PERIOD 256
#define GRACE  720
#define DELAY  (GRACE + PERIOD)

/* utime + stime of a process, in clock ticks. */
static long long cpu_ticks(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* Fields after the ")" of the command name: state is field 3, utime 14. */
    char *p = strrchr(buf, ')');
    long long ut = 0, st = 0;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lld %lld", &ut, &st) != 2)
        return -1;
    return ut + st;
}

static long status_kb(pid_t pid, const char *key)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    long kb = -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, key, strlen(key)) == 0)
            kb = strtol(line + strlen(key), NULL, 10);
    fclose(f);
    return kb;
}

int main(void)
{
    int secs = getenv("ACD_BENCH_SECONDS") ? atoi(getenv("ACD_BENCH_SECONDS")) : 60;
    AcdTestServer server = {0};
    AcdProbe probe = {0};
    AcdTestDaemon d = {0};
    if (!acd_test_jackd_start(&server, NULL) || !acd_probe_open(&probe, 400000)) {
        fprintf(stderr, "bench_jack: no JACK server\n");
        return 77;
    }
    const char *args[] = {"--stop-bars", "0", NULL};
    if (!acd_test_accompd_start(&d, probe.player, args)) {
        fprintf(stderr, "bench_jack: accompd did not start (%s)\n", d.log);
        return 1;
    }
    bool ok = false;
    for (int i = 0; i < 300 && !ok; i++) {
        ok = acd_probe_connect(&probe, "accompd", false);
        if (!ok)
            acd_probe_sleep_ms(10);
    }
    acd_probe_sleep_ms(200);

    /* A melody note on every beat (4 steps), held 3 steps, for the run. */
    size_t notes = (size_t)secs * 2 + 4, n = 0;
    AcdEvent *mel = calloc(notes * 2, sizeof *mel);
    static const uint8_t pitch[] = {60, 64, 67, 72, 69, 65};
    for (size_t i = 0; i < notes; i++) {
        mel[n++] = acd_event_make((int64_t)i * 4 * STEP, 0x90, pitch[i % 6], 100);
        mel[n++] = acd_event_make((int64_t)i * 4 * STEP + 3 * STEP, 0x80, pitch[i % 6], 0);
    }
    int64_t start = acd_probe_play(&probe, mel, n, 9600);
    long long cpu0 = cpu_ticks(d.pid);
    acd_probe_sleep_ms(secs * 1000);
    long long cpu1 = cpu_ticks(d.pid);
    long rss = status_kb(d.pid, "VmRSS:"), hwm = status_kb(d.pid, "VmHWM:");
    long anon = status_kb(d.pid, "RssAnon:"), shm = status_kb(d.pid, "RssShmem:");

    size_t k = atomic_load(&probe.n_acc), events = 0;
    int64_t first = INT64_MAX, worst = 0;
    for (size_t i = 0; i < k; i++) {
        int64_t t = probe.acc[i].time;
        if (t < start)
            continue;
        events++;
        if (t < first)
            first = t;
        /* Due frame: the start of the event's step plus the output delay. */
        int64_t rel = t - start - DELAY;
        int64_t due = start + DELAY + (rel + STEP / 2) / STEP * STEP;
        int64_t err = t > due ? t - due : due - t;
        if (err > worst)
            worst = err;
    }
    acd_test_accompd_stop(&d, SIGTERM);
    uint64_t late = 0, xruns = 0, steps = 0;
    acd_test_accompd_counter(&d, "final", "late", &late);
    acd_test_accompd_counter(&d, "final", "xruns", &xruns);
    acd_test_accompd_counter(&d, "final", "steps", &steps);
    long hz = sysconf(_SC_CLK_TCK);
    double cpu_s = (double)(cpu1 - cpu0) / (double)hz;

    printf("accompd on jackd -d dummy -r 48000 -p %d, 120 BPM, 16ths, %s, %d s:\n", PERIOD,
           getenv("ACD_TEST_MODEL") ? getenv("ACD_TEST_MODEL") : "tests/ref/tiny.safetensors",
           secs);
    printf("  response to the first note: %lld frames = %.2f ms (grace %d + period %d)\n",
           (long long)(first - start), (double)(first - start) / 48.0, GRACE, PERIOD);
    printf("  scheduling error (written - due frame) over %zu events: max %lld frames\n", events,
           (long long)worst);
    printf("  late events %llu, xruns %llu, steps %llu\n", (unsigned long long)late,
           (unsigned long long)xruns, (unsigned long long)steps);
    printf("  CPU %.2f s in %d s = %.2f%% of one core\n", cpu_s, secs, 100.0 * cpu_s / secs);
    printf("  RSS %ld KiB (peak %ld KiB): private %ld KiB, JACK's shared memory %ld KiB\n", rss,
           hwm, anon, shm);
    free(mel);
    acd_probe_free(&probe);
    acd_test_jackd_stop(&server, SIGTERM);
    return 0;
}
