/* The ALSA sequencer client: opening it with accompd's ports and queue, sending, closing. */
#include "alsa_seq.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "accompd/log.h"
#include "alsa_event.h"

/* alsa-lib prints its own errors to stderr ("ALSA lib seq_hw.c:...: open
 * /dev/snd/seq failed"); we report failures ourselves, so keep its words
 * for debugging only. */
static void alsa_lib_error(const char *file, int line, const char *function, int err,
                           const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void alsa_lib_error(const char *file, int line, const char *function, int err,
                           const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    acd_log_debug("alsa-lib %s:%d (%s): %s%s%s", file, line, function, msg, err ? ": " : "",
                  err ? snd_strerror(err) : "");
}

static AcdStatus backend_error(AcdError *err, const char *what, int rc)
{
    return acd_error_set(err, ACD_ERR_BACKEND, "ALSA sequencer: %s: %s", what, snd_strerror(rc));
}

static AcdStatus open_error(AcdError *err, int rc)
{
    const char *hint = rc == -ENOENT   ? "; is the snd-seq module loaded?"
                       : rc == -EACCES ? "; is the user in the audio group?"
                                       : "";
    return acd_error_set(err, ACD_ERR_BACKEND, "ALSA sequencer not available: /dev/snd/seq: %s%s",
                         strerror(-rc), hint);
}

static int make_port(AcdAlsaSeq *s, const char *name, unsigned caps, int stamp_queue)
{
    snd_seq_port_info_t *pi;
    int rc = snd_seq_port_info_malloc(&pi);
    if (rc < 0)
        return rc;
    snd_seq_port_info_set_name(pi, name);
    snd_seq_port_info_set_capability(pi, caps);
    snd_seq_port_info_set_type(pi, SND_SEQ_PORT_TYPE_MIDI_GENERIC | SND_SEQ_PORT_TYPE_APPLICATION);
    if (stamp_queue >= 0) { /* incoming events carry the queue's real time */
        snd_seq_port_info_set_timestamping(pi, 1);
        snd_seq_port_info_set_timestamp_real(pi, 1);
        snd_seq_port_info_set_timestamp_queue(pi, stamp_queue);
    }
    rc = snd_seq_create_port(s->seq, pi);
    if (rc == 0)
        rc = snd_seq_port_info_get_port(pi);
    snd_seq_port_info_free(pi);
    return rc;
}

AcdStatus acd_alsa_seq_open(AcdAlsaSeq *s, const char *name, AcdError *err)
{
    memset(s, 0, sizeof *s);
    s->queue = s->in_port = s->out_port = -1;
    snd_lib_error_set_handler(alsa_lib_error);
    int rc = snd_seq_open(&s->seq, "default", SND_SEQ_OPEN_DUPLEX, 0);
    if (rc < 0) {
        s->seq = NULL;
        return open_error(err, rc);
    }
    AcdStatus st;
    if ((rc = snd_seq_set_client_name(s->seq, name)) < 0) {
        st = backend_error(err, "client name", rc);
        goto fail;
    }
    s->client = snd_seq_client_id(s->seq);
    if ((s->queue = snd_seq_alloc_named_queue(s->seq, name)) < 0) {
        st = backend_error(err, "queue", s->queue);
        goto fail;
    }
    s->in_port =
        make_port(s, "melody_in", SND_SEQ_PORT_CAP_WRITE | SND_SEQ_PORT_CAP_SUBS_WRITE, s->queue);
    if (s->in_port < 0) {
        st = backend_error(err, "port melody_in", s->in_port);
        goto fail;
    }
    s->out_port =
        make_port(s, "accomp_out", SND_SEQ_PORT_CAP_READ | SND_SEQ_PORT_CAP_SUBS_READ, -1);
    if (s->out_port < 0) {
        st = backend_error(err, "port accomp_out", s->out_port);
        goto fail;
    }
    if ((rc = snd_seq_queue_status_malloc(&s->qstatus)) < 0) {
        st = backend_error(err, "queue status", rc);
        goto fail;
    }
    return ACD_OK;
fail:
    /* Closing the client frees its ports and queue with it. */
    acd_alsa_seq_close(s);
    return st;
}

void acd_alsa_seq_close(AcdAlsaSeq *s)
{
    if (s->qstatus)
        snd_seq_queue_status_free(s->qstatus);
    if (s->seq)
        snd_seq_close(s->seq);
    s->qstatus = NULL;
    s->seq = NULL;
}

AcdStatus acd_alsa_seq_start(AcdAlsaSeq *s, AcdError *err)
{
    int rc = snd_seq_start_queue(s->seq, s->queue, NULL);
    if (rc >= 0)
        rc = snd_seq_drain_output(s->seq);
    return rc < 0 ? backend_error(err, "start queue", rc) : ACD_OK;
}

AcdStatus acd_alsa_seq_now(AcdAlsaSeq *s, int64_t *ns, AcdError *err)
{
    int rc = snd_seq_get_queue_status(s->seq, s->queue, s->qstatus);
    if (rc < 0)
        return backend_error(err, "queue status", rc);
    *ns = acd_alsa_time_to_ns(snd_seq_queue_status_get_real_time(s->qstatus));
    return ACD_OK;
}

AcdStatus acd_alsa_seq_send(AcdAlsaSeq *s, const AcdEvent *ev, AcdError *err)
{
    snd_seq_event_t sev;
    AcdStatus st = acd_alsa_event_to_seq(ev, &sev);
    if (st != ACD_OK)
        return acd_error_set(err, st, "ALSA sequencer: cannot send MIDI status 0x%02X",
                             ev->data[0]);
    snd_seq_ev_set_source(&sev, s->out_port);
    snd_seq_ev_set_subs(&sev);
    snd_seq_real_time_t rt = acd_alsa_time_from_ns(ev->time);
    snd_seq_ev_schedule_real(&sev, s->queue, 0, &rt);
    int rc = snd_seq_event_output(s->seq, &sev);
    return rc < 0 ? backend_error(err, "output", rc) : ACD_OK;
}

AcdStatus acd_alsa_seq_flush(AcdAlsaSeq *s, AcdError *err)
{
    int rc = snd_seq_drain_output(s->seq);
    return rc < 0 ? backend_error(err, "drain output", rc) : ACD_OK;
}

AcdStatus acd_alsa_seq_drop_pending(AcdAlsaSeq *s, AcdError *err)
{
    snd_seq_remove_events_t *re;
    int rc = snd_seq_remove_events_malloc(&re);
    if (rc < 0)
        return backend_error(err, "remove events", rc);
    snd_seq_remove_events_set_condition(re, SND_SEQ_REMOVE_OUTPUT);
    snd_seq_remove_events_set_queue(re, s->queue);
    rc = snd_seq_drop_output(s->seq);
    if (rc >= 0)
        rc = snd_seq_remove_events(s->seq, re);
    snd_seq_remove_events_free(re);
    return rc < 0 ? backend_error(err, "remove events", rc) : ACD_OK;
}

static AcdStatus subscribe(AcdAlsaSeq *s, const char *addr, int in, AcdError *err)
{
    snd_seq_addr_t a;
    int rc = snd_seq_parse_address(s->seq, &a, addr);
    if (rc < 0)
        return acd_error_set(err, ACD_ERR_BACKEND, "ALSA sequencer: no port %s: %s", addr,
                             snd_strerror(rc));
    rc = in ? snd_seq_connect_from(s->seq, s->in_port, a.client, a.port)
            : snd_seq_connect_to(s->seq, s->out_port, a.client, a.port);
    if (rc < 0)
        return acd_error_set(err, ACD_ERR_BACKEND, "ALSA sequencer: connecting %s %s: %s",
                             in ? "from" : "to", addr, snd_strerror(rc));
    return ACD_OK;
}

AcdStatus acd_alsa_seq_connect_in(AcdAlsaSeq *s, const char *addr, AcdError *err)
{
    return subscribe(s, addr, 1, err);
}

AcdStatus acd_alsa_seq_connect_out(AcdAlsaSeq *s, const char *addr, AcdError *err)
{
    return subscribe(s, addr, 0, err);
}
