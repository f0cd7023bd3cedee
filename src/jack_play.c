/* accomp-jack-play: play a MIDI file's melody into accompd over JACK in real time and record it. */
/*
 * A separate executable rather than an `accomp` subcommand: accomp stays a
 * batch tool that never loads libjack (it builds and runs with -Djack=disabled
 * and on machines without a JACK library), while this one is a JACK client
 * like accompd itself. It links the same core library, so the song, MIDI
 * file, piano roll and WAV code are accomp render's.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "accompd/render.h"
#include "accompd/numparse.h"
#include "jack_play.h"

typedef struct {
    const char *in, *out, *roll, *wav, *soundfont, *label;
    const char *accompd, *server, *name;
    int melody_track; /* -1: automatic */
    int tail_bars;
    int wait_ms;
} Options;

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: accomp-jack-play IN.mid -o OUT.mid [OPTIONS]\n\n"
            "Play the melody of IN.mid in real time into a running accompd over JACK,\n"
            "record what accompd plays with frame times, and write OUT.mid (format 1,\n"
            "tracks 'Melody' and 'Accompaniment', IN.mid's tempo map). Start accompd\n"
            "with --tempo at IN.mid's tempo: its grid starts at the first note.\n\n"
            "  -o, --output OUT.mid  the recording (required)\n"
            "  --accompd NAME        accompd's JACK client name (accompd)\n"
            "  --server NAME         JACK server ($JACK_DEFAULT_SERVER or default)\n"
            "  --name NAME           our clients: NAME-player, NAME-recorder (accomp-jack-play)\n"
            "  --melody-track N      the melody track, as `accomp info` numbers them\n"
            "  --tail-bars N         record up to N bars after the melody (3); stops sooner\n"
            "                        when accompd stops by itself (after its --stop-bars)\n"
            "  --wait-ms MS          wait this long for accompd's ports (10000)\n"
            "  --roll OUT.svg        also draw a piano roll of the recording\n"
            "  --wav OUT.wav         also render it with fluidsynth and a GM soundfont\n"
            "  --soundfont PATH      soundfont for --wav (default: Debian's FluidR3_GM)\n"
            "  --label TEXT          the piano roll's subtitle (e.g. the model)\n");
}

static int parse_int(const char *opt, const char *s, long lo, long hi, int *out)
{
    long v = 0;
    if (!acd_parse_long(s, &v) || v < lo || v > hi) {
        fprintf(stderr, "accomp-jack-play: %s: '%s' is not an integer in %ld..%ld\n", opt, s, lo,
                hi);
        return 2;
    }
    *out = (int)v;
    return 0;
}

static int parse_args(int argc, char **argv, Options *o)
{
    enum {
        O_ACCOMPD = 256,
        O_SERVER,
        O_NAME,
        O_MTRACK,
        O_TAIL,
        O_WAIT,
        O_ROLL,
        O_WAV,
        O_SF,
        O_LABEL
    };
    static const struct option long_opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"accompd", required_argument, NULL, O_ACCOMPD},
        {"server", required_argument, NULL, O_SERVER},
        {"name", required_argument, NULL, O_NAME},
        {"melody-track", required_argument, NULL, O_MTRACK},
        {"tail-bars", required_argument, NULL, O_TAIL},
        {"wait-ms", required_argument, NULL, O_WAIT},
        {"roll", required_argument, NULL, O_ROLL},
        {"wav", required_argument, NULL, O_WAV},
        {"soundfont", required_argument, NULL, O_SF},
        {"label", required_argument, NULL, O_LABEL},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *o = (Options){.accompd = "accompd",
                   .name = "accomp-jack-play",
                   .melody_track = -1,
                   .tail_bars = 3,
                   .wait_ms = 10000};
    int c, rc = 0;
    while (!rc && (c = getopt_long(argc, argv, "o:h", long_opts, NULL)) != -1) {
        switch (c) {
        case 'o':
            o->out = optarg;
            break;
        case 'h':
            usage(stdout);
            return -1;
        case O_ACCOMPD:
            o->accompd = optarg;
            break;
        case O_SERVER:
            o->server = optarg;
            break;
        case O_NAME:
            o->name = optarg;
            break;
        case O_MTRACK:
            rc = parse_int("--melody-track", optarg, 0, 255, &o->melody_track);
            break;
        case O_TAIL:
            rc = parse_int("--tail-bars", optarg, 0, 64, &o->tail_bars);
            break;
        case O_WAIT:
            rc = parse_int("--wait-ms", optarg, 0, 600000, &o->wait_ms);
            break;
        case O_ROLL:
            o->roll = optarg;
            break;
        case O_WAV:
            o->wav = optarg;
            break;
        case O_SF:
            o->soundfont = optarg;
            break;
        case O_LABEL:
            o->label = optarg;
            break;
        default:
            rc = 2;
        }
    }
    if (rc)
        return rc;
    if (optind + 1 != argc || !o->out) {
        fprintf(stderr, "accomp-jack-play: need one input file and -o OUT.mid\n");
        usage(stderr);
        return 2;
    }
    o->in = argv[optind];
    return 0;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR && !interrupted)
        ;
}

static int cmp_event(const void *a, const void *b)
{
    const AcdEvent *x = a, *y = b;
    if (x->time != y->time)
        return x->time < y->time ? -1 : 1;
    /* At equal times note-offs first, so a repeated pitch is re-struck. */
    int xo = acd_event_is_note_off(x->data, x->len), yo = acd_event_is_note_off(y->data, y->len);
    return yo - xo;
}

/* The melody as note-ons and note-offs on channel 1, in frames from song
 * second 0, sorted; every note at least one frame long. */
static AcdStatus build_schedule(const AcdSong *song, double rate, AcdEvent **out, size_t *n,
                                AcdError *err)
{
    AcdEvent *ev = malloc(2 * song->n_melody * sizeof *ev);
    if (!ev)
        return acd_error_set(err, ACD_ERR_NOMEM, "out of memory for %zu melody notes",
                             song->n_melody);
    for (size_t i = 0; i < song->n_melody; i++) {
        const AcdSongNote *m = &song->melody[i];
        int64_t on = llround(m->start_sec * rate), off = llround(m->end_sec * rate);
        if (off <= on)
            off = on + 1;
        ev[2 * i] = acd_event_make(on, ACD_MIDI_NOTE_ON, m->pitch, m->velocity ? m->velocity : 80);
        ev[2 * i + 1] = acd_event_make(off, ACD_MIDI_NOTE_OFF, m->pitch, 0);
    }
    *n = 2 * song->n_melody;
    qsort(ev, *n, sizeof *ev, cmp_event);
    *out = ev;
    return ACD_OK;
}

static void quiet(const char *msg)
{
    (void)msg;
}

static void on_shutdown(void *arg)
{
    AcdJackPlay *p = arg;
    atomic_store(&p->lost, 1);
}

static int on_xrun(void *arg)
{
    AcdJackPlay *p = arg;
    atomic_fetch_add_explicit(&p->xruns, 1, memory_order_relaxed);
    return 0;
}

static jack_client_t *open_client(const Options *o, const char *suffix)
{
    char name[128];
    snprintf(name, sizeof name, "%s-%s", o->name, suffix);
    jack_status_t js;
    jack_options_t opts = JackNoStartServer | JackUseExactName;
    if (o->server)
        return jack_client_open(name, opts | JackServerName, &js, o->server);
    return jack_client_open(name, opts, &js);
}

/* Open both clients, register the ports, activate. */
static AcdStatus open_once(AcdJackPlay *p, const Options *o, AcdError *err)
{
    p->player = open_client(o, "player");
    p->recorder = p->player ? open_client(o, "recorder") : NULL;
    if (!p->player || !p->recorder)
        return acd_error_set(err, ACD_ERR_BACKEND,
                             "cannot open JACK clients %s-player/-recorder on server '%s': is a "
                             "JACK server running? (jack_lsp; see README, \"Playing live\")",
                             o->name,
                             o->server                       ? o->server
                             : getenv("JACK_DEFAULT_SERVER") ? getenv("JACK_DEFAULT_SERVER")
                                                             : "default");
    p->melody =
        jack_port_register(p->player, "melody", JACK_DEFAULT_MIDI_TYPE, JackPortIsOutput, 0);
    p->accomp =
        jack_port_register(p->recorder, "accomp", JACK_DEFAULT_MIDI_TYPE, JackPortIsInput, 0);
    if (!p->melody || !p->accomp)
        return acd_error_set(err, ACD_ERR_BACKEND, "cannot register MIDI ports");
    jack_on_shutdown(p->player, on_shutdown, p);
    jack_on_shutdown(p->recorder, on_shutdown, p);
    if (jack_set_process_callback(p->player, acd_jack_play_player_process, p) ||
        jack_set_process_callback(p->recorder, acd_jack_play_recorder_process, p) ||
        jack_set_xrun_callback(p->recorder, on_xrun, p) || jack_activate(p->player) ||
        jack_activate(p->recorder))
        return acd_error_set(err, ACD_ERR_BACKEND, "cannot activate the JACK clients");
    return ACD_OK;
}

static void close_clients(AcdJackPlay *p)
{
    if (p->player)
        jack_client_close(p->player);
    if (p->recorder)
        jack_client_close(p->recorder);
    p->player = p->recorder = NULL;
}

/* Open, and make sure both clients really run: now and then (more often on
 * a loaded machine) libjack leaves a freshly activated client "Triggered"
 * but never run, an xrun every cycle (tests/jack_probe.h says the same).
 * Closing and reopening cures it. */
static AcdStatus open_clients(AcdJackPlay *p, const Options *o, AcdError *err)
{
    for (int attempt = 0; attempt < 4 && !interrupted; attempt++) {
        AcdStatus st = open_once(p, o, err);
        if (st != ACD_OK) {
            close_clients(p);
            return st;
        }
        uint64_t a = atomic_load(&p->player_cycles), b = atomic_load(&p->recorder_cycles);
        sleep_ms(200); /* 37 periods of 256 frames at 48 kHz */
        if (atomic_load(&p->player_cycles) - a > 5 && atomic_load(&p->recorder_cycles) - b > 5)
            return ACD_OK;
        close_clients(p);
    }
    return acd_error_set(err, ACD_ERR_BACKEND, "JACK does not run our clients (see jackd's log)");
}

/* Wait for accompd's ports, then connect melody -> melody_in, accomp_out -> accomp. */
static AcdStatus connect_accompd(AcdJackPlay *p, const Options *o, AcdError *err)
{
    char in[320], out[320];
    snprintf(in, sizeof in, "%s:melody_in", o->accompd);
    snprintf(out, sizeof out, "%s:accomp_out", o->accompd);
    for (int waited = 0; !jack_port_by_name(p->player, in) || !jack_port_by_name(p->player, out);
         waited += 50) {
        if (waited >= o->wait_ms || interrupted)
            return acd_error_set(err, ACD_ERR_BACKEND,
                                 "no ports %s and %s after %d ms: is accompd running (--name %s)?",
                                 in, out, o->wait_ms, o->accompd);
        sleep_ms(50);
    }
    int a = jack_connect(p->player, jack_port_name(p->melody), in);
    int b = jack_connect(p->recorder, out, jack_port_name(p->accomp));
    if ((a && a != EEXIST) || (b && b != EEXIST))
        return acd_error_set(err, ACD_ERR_BACKEND, "cannot connect to %s's ports", o->accompd);
    return ACD_OK;
}

/* accompd stopped on its own: all-notes-off on its output after `after`. */
static bool saw_release_after(const AcdJackPlay *p, size_t n, int64_t after)
{
    for (size_t i = n; i-- > 0;) {
        const AcdEvent *e = &p->rec[i];
        if (e->time <= after)
            return false;
        if (e->len == 3 && (e->data[0] & 0xF0) == ACD_MIDI_CC &&
            e->data[1] == ACD_MIDI_CC_ALL_NOTES)
            return true;
    }
    return false;
}

/* Play and record until the melody is over and accompd has stopped (or
 * the tail has passed, or we are interrupted). */
static AcdStatus run(AcdJackPlay *p, const Options *o, const AcdSong *song, AcdJackPlayReport *rep,
                     AcdError *err)
{
    /* Let accompd's greeting to a new connection (all-notes-off) pass. */
    sleep_ms(200);
    atomic_store(&p->lead_frames, (int64_t)llround(0.3 * rep->rate));
    atomic_store_explicit(&p->start_req, 1, memory_order_release);
    for (int i = 0; atomic_load_explicit(&p->start_req, memory_order_acquire) != 2; i++) {
        if (i > 200 || atomic_load(&p->lost))
            return acd_error_set(err, ACD_ERR_BACKEND, "the JACK player client does not run");
        sleep_ms(10);
    }
    rep->base = atomic_load(&p->base);
    rep->first_melody = rep->base + p->sched[0].time;
    rep->last_melody = rep->base + p->sched[p->n_sched - 1].time;
    double last_beat =
        acd_beatgrid_sec_to_beat(&song->grid, (double)p->sched[p->n_sched - 1].time / rep->rate);
    double tail_sec = acd_beatgrid_beat_to_sec(
        &song->grid, last_beat + (double)o->tail_bars * song->grid.beats_per_bar);
    int64_t tail_end = rep->base + llround(tail_sec * rep->rate);
    printf("accomp-jack-play: playing %s into %s:melody_in (%zu notes, %.1f s), recording "
           "%s:accomp_out\n",
           o->in, o->accompd, song->n_melody, (double)p->sched[p->n_sched - 1].time / rep->rate,
           o->accompd);
    fflush(stdout);

    int64_t stop_at = INT64_MAX, seen = -1;
    int stalled_ms = 0;
    for (;;) {
        sleep_ms(20);
        if (interrupted || atomic_load(&p->lost))
            break;
        int64_t now = atomic_load_explicit(&p->rec_frame, memory_order_acquire);
        /* A recorder that stops running would never see the end. */
        stalled_ms = now == seen ? stalled_ms + 20 : 0;
        seen = now;
        if (stalled_ms >= 2000) {
            atomic_store_explicit(&p->stop_req, 1, memory_order_release);
            sleep_ms(100);
            return acd_error_set(err, ACD_ERR_BACKEND,
                                 "the JACK server stopped running our recorder (xruns: %llu)",
                                 (unsigned long long)atomic_load(&p->xruns));
        }
        size_t n = atomic_load_explicit(&p->n_rec, memory_order_acquire);
        if (now >= stop_at)
            break;
        if (atomic_load(&p->next) < p->n_sched && now > rep->last_melody + (int64_t)rep->rate) {
            atomic_store_explicit(&p->stop_req, 1, memory_order_release);
            sleep_ms(100);
            return acd_error_set(err, ACD_ERR_BACKEND,
                                 "the JACK server stopped running our player (xruns: %llu)",
                                 (unsigned long long)atomic_load(&p->xruns));
        }
        if (atomic_load(&p->next) < p->n_sched || stop_at != INT64_MAX)
            continue;
        if (now >= tail_end)
            break;
        /* Catch the note-offs accompd writes beside its CC123: 0.1 s more. */
        if (saw_release_after(p, n, rep->last_melody))
            stop_at = now + llround(0.1 * rep->rate);
    }
    rep->interrupted = interrupted || atomic_load(&p->lost);
    if (rep->interrupted && !atomic_load(&p->lost)) {
        atomic_store_explicit(&p->stop_req, 1, memory_order_release);
        for (int i = 0; i < 50 && atomic_load(&p->stop_req) != 2; i++)
            sleep_ms(10);
        sleep_ms(50);
    }
    rep->end = atomic_load(&p->rec_frame);
    if (atomic_load(&p->lost))
        fprintf(stderr, "accomp-jack-play: the JACK server went away; writing what was recorded\n");
    else if (interrupted)
        fprintf(stderr, "accomp-jack-play: interrupted; writing what was recorded\n");
    return ACD_OK;
}

int main(int argc, char **argv)
{
    Options o;
    int rc = parse_args(argc, argv, &o);
    if (rc)
        return rc < 0 ? 0 : rc;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    jack_set_error_function(quiet);
    jack_set_info_function(quiet);

    AcdError err = {0};
    AcdMidiFile *mf = NULL;
    AcdSong *song = NULL;
    AcdEvent *sched = NULL;
    AcdJackPlay *p = calloc(1, sizeof *p);
    AcdJackPlayReport rep = {.in_path = o.in,
                             .accompd = o.accompd,
                             .out_path = o.out,
                             .roll_path = o.roll,
                             .wav_path = o.wav,
                             .soundfont = o.soundfont,
                             .label = o.label};
    rc = 1;
    if (!p) {
        fprintf(stderr, "accomp-jack-play: out of memory\n");
        return 1;
    }
    if (acd_midifile_read(o.in, &mf, &err) != ACD_OK ||
        acd_render_song_from_midifile(mf, o.melody_track, &song, &err) != ACD_OK)
        goto fail;
    if (song->n_melody == 0) {
        acd_error_set(&err, ACD_ERR_NO_MELODY, "%s: no melody to play", o.in);
        goto fail;
    }
    atomic_store(&p->base, INT64_MAX);
    acd_notes_init(&p->sounding);
    p->cap = 1u << 16;
    p->rec = calloc(p->cap, sizeof *p->rec);
    if (!p->rec) {
        acd_error_set(&err, ACD_ERR_NOMEM, "out of memory for the recording");
        goto fail;
    }
    if (open_clients(p, &o, &err) != ACD_OK)
        goto fail;
    jack_nframes_t rate = jack_get_sample_rate(p->player);
    rep.rate = rate;
    if (build_schedule(song, rep.rate, &sched, &p->n_sched, &err) != ACD_OK)
        goto fail;
    p->sched = sched; /* before start_req, which publishes it (release) */
    if (connect_accompd(p, &o, &err) != ACD_OK || run(p, &o, song, &rep, &err) != ACD_OK)
        goto fail;
    rep.sent = atomic_load(&p->sent);
    rep.late = atomic_load(&p->late);
    rep.refused = atomic_load(&p->refused);
    rep.dropped = atomic_load(&p->rec_dropped);
    rep.xruns = atomic_load(&p->xruns);
    size_t n_rec = atomic_load_explicit(&p->n_rec, memory_order_acquire);
    jack_deactivate(p->player);
    jack_deactivate(p->recorder);
    rc = acd_jack_play_report(&rep, mf, song, p->rec, n_rec);
    if (rep.interrupted && rc == 0)
        rc = 1;
    goto done;
fail:
    fprintf(stderr, "accomp-jack-play: %s\n", acd_error_text(&err));
done:
    close_clients(p);
    free(p->rec);
    free(p);
    free(sched);
    acd_song_free(song);
    acd_midifile_free(mf);
    return rc;
}
