/* The ALSA sequencer client: opening it with accompd's ports and queue, sending, closing. */
#ifndef ACCOMPD_ALSA_SEQ_H
#define ACCOMPD_ALSA_SEQ_H

#include <alsa/asoundlib.h>
#include <stdint.h>

#include "accompd/event.h"
#include "accompd/status.h"

/* A sequencer client with a melody input port (others write to it), an
 * accompaniment output port (others subscribe to it) and a real-time queue
 * that stamps the input and schedules the output, in nanoseconds since the
 * queue started (see alsa_event.h). Caller-owned storage. */
typedef struct {
    snd_seq_t *seq; /* NULL when closed */
    int client;
    int in_port;
    int out_port;
    int queue;
    snd_seq_queue_status_t *qstatus;
} AcdAlsaSeq;

/* Open the sequencer as client `name` with ports "melody_in" and
 * "accomp_out" and a queue (stopped). Without a kernel sequencer it fails
 * with ACD_ERR_BACKEND and "ALSA sequencer not available: /dev/snd/seq: No
 * such file or directory; is the snd-seq module loaded?". On failure s is
 * closed. ALSA's own error printing is routed to acd_log (debug).
 * Not RT-safe. */
AcdStatus acd_alsa_seq_open(AcdAlsaSeq *s, const char *name, AcdError *err);

/* Close; accepts a closed or zeroed s. Not RT-safe. */
void acd_alsa_seq_close(AcdAlsaSeq *s);

/* Start the queue: time 0 is now. Not RT-safe. */
AcdStatus acd_alsa_seq_start(AcdAlsaSeq *s, AcdError *err);

/* The queue's time now, in ns. Not RT-safe. */
AcdStatus acd_alsa_seq_now(AcdAlsaSeq *s, int64_t *ns, AcdError *err);

/* Queue ev on the output port to every subscriber, scheduled at ev->time
 * (ns on the queue; a past time plays at once). Call acd_alsa_seq_flush
 * after a batch. Not RT-safe. */
AcdStatus acd_alsa_seq_send(AcdAlsaSeq *s, const AcdEvent *ev, AcdError *err);

/* Hand queued output to the kernel. Not RT-safe. */
AcdStatus acd_alsa_seq_flush(AcdAlsaSeq *s, AcdError *err);

/* Drop output scheduled but not yet played (on stop and panic, before the
 * releases are sent). Not RT-safe. */
AcdStatus acd_alsa_seq_drop_pending(AcdAlsaSeq *s, AcdError *err);

/* Subscribe: melody_in from the port at addr ("client:port" or a client
 * name, as aconnect takes), or accomp_out to it. Not RT-safe. */
AcdStatus acd_alsa_seq_connect_in(AcdAlsaSeq *s, const char *addr, AcdError *err);
AcdStatus acd_alsa_seq_connect_out(AcdAlsaSeq *s, const char *addr, AcdError *err);

#endif
