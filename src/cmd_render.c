/* accomp render: accompany a MIDI file's melody offline; write MIDI, and optionally SVG and WAV. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "accompd/midifile.h"
#include "accompd/numparse.h"
#include "accompd/model.h"
#include "accompd/render.h"
#include "accompd/song.h"
#include "accompd/svg_roll.h"
#include "commands.h"
#include "render_wav.h"

#define DEFAULT_MODEL "models/default.safetensors"

typedef struct {
    const char *in, *out, *model, *wav, *roll, *soundfont;
    int melody_track; /* -1: automatic */
    unsigned long long seed;
    bool have_seed;
    double temperature;             /* < 0: the model's default */
    int channel, melody_channel;    /* 1..16 */
    double tempo_bpm;               /* 0: the file's */
    double grace_ms;                /* < 0: the live default */
    int stop_after_bars, tail_bars; /* < 0: the default */
} Options;

static void usage(FILE *out)
{
    fprintf(out, "usage: accomp render IN.mid -o OUT.mid [OPTIONS]\n\n"
                 "Accompany the melody of IN.mid with the same engine accompd runs live, fed\n"
                 "note by note on a simulated clock, and write OUT.mid (format 1, tracks\n"
                 "'Melody' and 'Accompaniment', IN.mid's tempo map). Same --seed, same bytes.\n"
                 "A POP909 song (NNN.mid beside beat_midi.txt) follows its beat file.\n\n"
                 "  -o, --output OUT.mid     the accompanied file (required)\n"
                 "  --model PATH             model file (default " DEFAULT_MODEL ")\n"
                 "  --melody-track N         use track N as the melody (as `accomp info` numbers\n"
                 "                           them); default: detected from names, channels, pitch\n"
                 "  --seed N                 sampler seed (default: the engine's, 1)\n"
                 "  --temperature T          0 = greedy; > 0 samples (default: the engine's)\n"
                 "  --channel N              accompaniment MIDI channel 1-16 (default 2)\n"
                 "  --melody-channel N       melody MIDI channel 1-16 (default 1)\n"
                 "  --tempo BPM              play at this tempo (the whole tempo map is scaled)\n"
                 "  --grace-ms MS            decision point after each step (default: live, 15)\n"
                 "  --stop-after-bars N      stop after N bars without melody, as live (default\n"
                 "                           2; 0 = play through every rest)\n"
                 "  --tail-bars N            bars to play after the melody's last bar (default 0)\n"
                 "  --roll OUT.svg           also draw a piano roll\n"
                 "  --wav OUT.wav            also render audio with fluidsynth and a GM soundfont\n"
                 "  --soundfont PATH         soundfont for --wav (default: Debian's FluidR3_GM)\n");
}

static int parse_long(const char *opt, const char *s, long lo, long hi, long *out)
{
    long v = 0;
    if (!acd_parse_long(s, &v) || v < lo || v > hi) {
        fprintf(stderr, "accomp render: %s: '%s' is not an integer in %ld..%ld\n", opt, s, lo, hi);
        return 2;
    }
    *out = v;
    return 0;
}

static int parse_double(const char *opt, const char *s, double lo, double hi, double *out)
{
    double v = 0;
    if (!acd_parse_double(s, &v) || !(v >= lo && v <= hi)) {
        fprintf(stderr, "accomp render: %s: '%s' is not a number in %g..%g\n", opt, s, lo, hi);
        return 2;
    }
    *out = v;
    return 0;
}

static int parse_args(int argc, char **argv, Options *o)
{
    enum {
        O_MODEL = 256,
        O_MTRACK,
        O_SEED,
        O_TEMP,
        O_CHAN,
        O_MCHAN,
        O_TEMPO,
        O_GRACE,
        O_STOP,
        O_TAIL,
        O_ROLL,
        O_WAV,
        O_SF
    };
    static const struct option long_opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"model", required_argument, NULL, O_MODEL},
        {"melody-track", required_argument, NULL, O_MTRACK},
        {"seed", required_argument, NULL, O_SEED},
        {"temperature", required_argument, NULL, O_TEMP},
        {"channel", required_argument, NULL, O_CHAN},
        {"melody-channel", required_argument, NULL, O_MCHAN},
        {"tempo", required_argument, NULL, O_TEMPO},
        {"grace-ms", required_argument, NULL, O_GRACE},
        {"stop-after-bars", required_argument, NULL, O_STOP},
        {"tail-bars", required_argument, NULL, O_TAIL},
        {"roll", required_argument, NULL, O_ROLL},
        {"wav", required_argument, NULL, O_WAV},
        {"soundfont", required_argument, NULL, O_SF},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *o = (Options){.melody_track = -1,
                   .temperature = -1.0,
                   .channel = 2,
                   .melody_channel = 1,
                   .grace_ms = -1.0,
                   .stop_after_bars = -1,
                   .tail_bars = -1};
    int c, rc = 0, idx;
    long v = 0;
    optind = 1;
    while (!rc && (c = getopt_long(argc, argv, "o:h", long_opts, &idx)) != -1) {
        const char *a = optarg;
        switch (c) {
        case 'o':
            o->out = a;
            break;
        case 'h':
            usage(stdout);
            return -1;
        case O_MODEL:
            o->model = a;
            break;
        case O_ROLL:
            o->roll = a;
            break;
        case O_WAV:
            o->wav = a;
            break;
        case O_SF:
            o->soundfont = a;
            break;
        case O_MTRACK:
            rc = parse_long("--melody-track", a, 0, 255, &v);
            o->melody_track = (int)v;
            break;
        case O_SEED: {
            char *end;
            errno = 0;
            o->seed = strtoull(a, &end, 10);
            o->have_seed = true;
            if (errno || end == a || *end || *a == '-') {
                fprintf(stderr, "accomp render: --seed: '%s' is not a non-negative integer\n", a);
                rc = 2;
            }
            break;
        }
        case O_TEMP:
            rc = parse_double("--temperature", a, 0.0, 100.0, &o->temperature);
            break;
        case O_CHAN:
            rc = parse_long("--channel", a, 1, 16, &v);
            o->channel = (int)v;
            break;
        case O_MCHAN:
            rc = parse_long("--melody-channel", a, 1, 16, &v);
            o->melody_channel = (int)v;
            break;
        case O_TEMPO:
            rc = parse_double("--tempo", a, 10.0, 400.0, &o->tempo_bpm);
            break;
        case O_GRACE:
            rc = parse_double("--grace-ms", a, 0.0, 100.0, &o->grace_ms);
            break;
        case O_STOP:
            rc = parse_long("--stop-after-bars", a, 0, 64, &v);
            o->stop_after_bars = (int)v;
            break;
        case O_TAIL:
            rc = parse_long("--tail-bars", a, 0, 64, &v);
            o->tail_bars = (int)v;
            break;
        default:
            rc = 2;
        }
    }
    if (rc)
        return rc;
    if (optind + 1 != argc || !o->out) {
        fprintf(stderr, "accomp render: need one input file and -o OUT.mid\n");
        usage(stderr);
        return 2;
    }
    o->in = argv[optind];
    return 0;
}

/* The POP909 beat file beside path (".../001/001.mid" -> ".../001"), or
 * false when there is none. */
static bool pop909_dir(const char *path, char *dir, size_t size)
{
    const char *slash = strrchr(path, '/');
    int n = slash ? (int)(slash - path) : 1;
    if (snprintf(dir, size, "%.*s", n, slash ? path : ".") >= (int)size)
        return false;
    char beats[PATH_MAX];
    if (snprintf(beats, sizeof beats, "%s/beat_midi.txt", dir) >= (int)sizeof beats)
        return false;
    return access(beats, R_OK) == 0;
}

/* Play at bpm: scale the tempo map of mf and every time in song alike. */
static int scale_tempo(AcdMidiFile *mf, AcdSong *song, double bpm)
{
    if (mf->n_tempos == 0 || mf->tempos[0].tick > 0) {
        AcdTempo *t = realloc(mf->tempos, (mf->n_tempos + 1) * sizeof *t);
        if (!t)
            return 1;
        memmove(t + 1, t, mf->n_tempos * sizeof *t);
        t[0] = (AcdTempo){0, 500000};
        mf->tempos = t;
        mf->n_tempos++;
    }
    double f = 60e6 / bpm / mf->tempos[0].us_per_beat;
    for (size_t i = 0; i < mf->n_tempos; i++) {
        double us = round(mf->tempos[i].us_per_beat * f);
        us = fmin(fmax(us, 1.0), 0xFFFFFF);
        mf->tempos[i].us_per_beat = (uint32_t)us;
    }
    for (size_t i = 0; i < song->grid.n_beats; i++)
        song->grid.sec[i] *= f;
    AcdSongNote *lists[3] = {song->melody, song->accomp, song->drums};
    size_t counts[3] = {song->n_melody, song->n_accomp, song->n_drums};
    for (int k = 0; k < 3; k++)
        for (size_t i = 0; i < counts[k]; i++) {
            lists[k][i].start_sec *= f;
            lists[k][i].end_sec *= f;
        }
    return 0;
}

static void print_song(const AcdSong *song, bool pop909)
{
    for (size_t i = 0; i < song->n_parts; i++)
        if (song->parts[i].role.role == ACD_ROLE_MELODY)
            printf("  melody: %s (%s), %zu notes\n", song->parts[i].name,
                   song->parts[i].role.reason, song->n_melody);
    printf("  grid: %s, %d beats per bar\n",
           pop909 ? "POP909 beat_midi.txt" : "the file's tempo map and meter",
           song->grid.beats_per_bar);
}

static double now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

int acd_cmd_render(int argc, char **argv)
{
    Options o;
    int rc = parse_args(argc, argv, &o);
    if (rc)
        return rc < 0 ? 0 : rc;
    AcdError err = {0};
    AcdMidiFile *mf = NULL, *outf = NULL;
    AcdSong *song = NULL;
    AcdModel *model = NULL;
    AcdRender r = {0};
    rc = 1;

    if (acd_midifile_read(o.in, &mf, &err) != ACD_OK) {
        fprintf(stderr, "accomp render: %s\n", acd_error_text(&err));
        goto done;
    }
    char dir[PATH_MAX];
    bool pop909 = o.melody_track < 0 && pop909_dir(o.in, dir, sizeof dir);
    if (pop909 && acd_song_load_pop909(dir, 0, &song, &err) != ACD_OK) {
        fprintf(stderr, "accomp render: warning: %s; using the MIDI file's own beats\n",
                acd_error_text(&err));
        pop909 = false;
    }
    if (!song && acd_render_song_from_midifile(mf, o.melody_track, &song, &err) != ACD_OK) {
        fprintf(stderr, "accomp render: %s\n", acd_error_text(&err));
        goto done;
    }
    if (song->n_melody == 0) {
        fprintf(stderr, "accomp render: %s: no melody to accompany\n", o.in);
        goto done;
    }
    if (o.tempo_bpm > 0.0 && scale_tempo(mf, song, o.tempo_bpm)) {
        fprintf(stderr, "accomp render: out of memory\n");
        goto done;
    }

    const char *model_path = o.model ? o.model : DEFAULT_MODEL;
    if (!o.model && access(DEFAULT_MODEL, R_OK) != 0) {
        fprintf(stderr,
                "accomp render: no model given and %s does not exist (run from the source tree, "
                "or pass --model PATH)\n",
                DEFAULT_MODEL);
        goto done;
    }
    if (acd_model_load(model_path, &model, &err) != ACD_OK) {
        fprintf(stderr, "accomp render: %s\n", acd_error_text(&err));
        goto done;
    }

    AcdRenderConfig cfg;
    acd_render_config_default(&cfg, model);
    cfg.engine.channel = (uint8_t)(o.channel - 1);
    if (o.have_seed)
        cfg.engine.sampler.seed = o.seed;
    if (o.temperature >= 0.0)
        cfg.engine.sampler.temperature = (float)o.temperature;
    if (o.grace_ms >= 0.0)
        cfg.grace_sec = o.grace_ms / 1000.0;
    if (o.stop_after_bars >= 0)
        cfg.engine.stop_after_bars = o.stop_after_bars;
    if (o.tail_bars >= 0)
        cfg.tail_bars = o.tail_bars;

    printf("accomp render: %s\n", o.in);
    print_song(song, pop909);
    double t0 = now_sec();
    if (acd_render_song(model, &cfg, song, &r, &err) != ACD_OK) {
        fprintf(stderr, "accomp render: %s: %s\n", o.in, acd_error_text(&err));
        goto done;
    }
    double elapsed = now_sec() - t0;
    printf("  model: %s, seed %llu, temperature %g\n", model_path,
           (unsigned long long)cfg.engine.sampler.seed, (double)cfg.engine.sampler.temperature);
    printf("  rendered %.1f s of music (%lld steps, %zu accompaniment notes) in %.3f s\n",
           r.end_sec - r.start_sec, (long long)r.n_steps, r.n_notes, elapsed);

    AcdRenderMidiOptions mo;
    acd_render_midi_options_default(&mo);
    mo.melody_channel = (uint8_t)(o.melody_channel - 1);
    if (acd_render_to_midifile(mf, song, &r, &mo, &outf, &err) != ACD_OK ||
        acd_midifile_write(outf, o.out, &err) != ACD_OK) {
        fprintf(stderr, "accomp render: %s\n", acd_error_text(&err));
        goto done;
    }
    printf("  wrote %s (Melody on channel %d, Accompaniment on channel %d)\n", o.out,
           o.melody_channel, o.channel);

    rc = 0;
    if (o.roll) {
        char subtitle[256];
        snprintf(subtitle, sizeof subtitle,
                 "accompanied by accompd · model %s · seed %llu · temperature %g",
                 base_name(model_path), (unsigned long long)cfg.engine.sampler.seed,
                 (double)cfg.engine.sampler.temperature);
        AcdSvgRoll roll = {base_name(o.in), subtitle,  &song->grid,  song->melody, song->n_melody,
                           r.notes,         r.n_notes, r.start_beat, r.end_beat};
        if (acd_svg_roll_write(&roll, o.roll, &err) != ACD_OK) {
            fprintf(stderr, "accomp render: %s\n", acd_error_text(&err));
            rc = 1;
        } else {
            printf("  wrote %s\n", o.roll);
        }
    }
    if (o.wav) {
        const char *sf = o.soundfont ? o.soundfont : acd_wav_find_soundfont();
        AcdWavLevel lv;
        if (acd_wav_render(o.out, o.wav, sf, &err) != ACD_OK ||
            acd_wav_measure(o.wav, &lv, &err) != ACD_OK) {
            fprintf(stderr, "accomp render: --wav: %s\n", acd_error_text(&err));
            rc = 1;
        } else {
            printf("  wrote %s (%.1f s, RMS %.1f dBFS, peak %.1f dBFS)\n", o.wav, lv.seconds,
                   20.0 * log10(fmax(lv.rms, 1e-9)), 20.0 * log10(fmax(lv.peak, 1e-9)));
        }
    }

done:
    acd_render_cleanup(&r);
    acd_midifile_free(outf);
    acd_model_free(model);
    acd_song_free(song);
    acd_midifile_free(mf);
    return rc;
}
