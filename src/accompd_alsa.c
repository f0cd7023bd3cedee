/* accompd --backend alsa: the ALSA sequencer driver's entry (opening the client, or why not). */
#include "accompd/log.h"
#include "accompd_daemon.h"

#ifdef ACD_HAVE_ALSA
#include "alsa_seq.h"

bool acd_daemon_alsa_available(void)
{
    AcdAlsaSeq s = {0};
    AcdError err = {0};
    if (acd_alsa_seq_open(&s, "accompd-probe", &err) != ACD_OK)
        return false;
    acd_alsa_seq_close(&s);
    return true;
}

int acd_daemon_run_alsa(AcdDaemon *d, volatile sig_atomic_t *quit)
{
    AcdAlsaSeq s = {0};
    AcdError err = {0};
    if (acd_alsa_seq_open(&s, d->boot.client_name, &err) != ACD_OK) {
        acd_log_error("%s", acd_error_text(&err));
        return 1;
    }
    /* The sequencer opened, but the driver's event loop (input thread,
     * engine, queue-scheduled output) is not written yet: say so rather
     * than sit silent. */
    acd_alsa_seq_close(&s);
    acd_log_error("--backend alsa: the ALSA sequencer driver is not implemented yet; use "
                  "--backend jack");
    (void)quit;
    return 1;
}
#else
bool acd_daemon_alsa_available(void)
{
    return false;
}

int acd_daemon_run_alsa(AcdDaemon *d, volatile sig_atomic_t *quit)
{
    (void)d;
    (void)quit;
    acd_log_error("--backend alsa: this accompd was built without ALSA (libasound2-dev)");
    return 1;
}
#endif
