/* accomp eval: score models, baselines and the human accompaniment on a collection's songs. */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "accompd/dataset.h"
#include "accompd/harmonizer.h"
#include "accompd/metrics.h"
#include "accompd/model.h"
#include "accompd/numparse.h"
#include "accompd/sampler.h"
#include "accompd/render.h"
#include "commands.h"
#include "eval_report.h"

#define MAX_SYSTEMS 16

static void usage(FILE *out)
{
    fprintf(out,
            "usage: accomp eval [OPTIONS] [--data] DIR\n"
            "Score accompaniments of the songs of DIR (a POP909, Nottingham or JSB folder, or\n"
            "any folder of MIDI files) against their melodies and human accompaniments; print\n"
            "a table (rows: measures, columns: systems) and optionally write it as CSV.\n"
            "Systems: the human accompaniment, always; the harmonizer baseline; each model,\n"
            "fed the melody causally through the live engine (accomp render's driver); each\n"
            "folder of already accompanied MIDI files (DIR/NAME.mid per song).\n"
            "\n"
            "      --data DIR          the collection (or give DIR as the argument)\n"
            "      --collection KIND   auto, pop909, nottingham, jsb, midi (default auto)\n"
            "      --split SPLIT       train, valid, test, any (default valid)\n"
            "      --model PATH        a model (.safetensors); repeatable\n"
            "      --seed-model PATH   the seed-configuration baseline model (column 'seed')\n"
            "      --baseline NAME     harmonizer (default) or none\n"
            "      --accompanied DIR   a folder of accompanied MIDI files; repeatable\n"
            "      --limit N           the first N songs of the split only\n"
            "      --temperature T     the models' sampler temperature (default: greedy, 0)\n"
            "      --thresholds ON:HOLD  the models' greedy thresholds (default: each file's)\n"
            "      --max-poly N        the models' polyphony cap, 0 none (default: each file's)\n"
            "      --max-len STEPS     the models' longest note, 0 none (default: each file's)\n"
            "      --csv FILE          write the table as CSV\n"
            "  -q, --quiet             no progress on stderr\n"
            "\n"
            "Measures are defined in README.md, 'Judging accompaniment: accomp eval'.\n");
}

typedef enum { SYS_HUMAN, SYS_HARMONIZER, SYS_MODEL, SYS_FOLDER } SystemKind;

typedef struct {
    SystemKind kind;
    char name[48];
    const char *path;
    AcdModel *model;
    AcdMetrics sum;
    size_t n_missing; /* songs this system could not accompany */
} System;

typedef struct {
    System sys[MAX_SYSTEMS];
    size_t n_sys;
    const char *data;
    AcdCollection collection;
    AcdSplit split;
    long limit;
    const char *csv;
    int quiet;
    double temperature; /* the models' sampler temperature; < 0: their default */
    double thresh_onset, thresh_hold; /* the models' thresholds; < 0: their own */
    long max_poly, max_len;           /* the models' caps; < 0: their own */
} Eval;

enum {
    O_DATA = 256,
    O_COLLECTION,
    O_SPLIT,
    O_MODEL,
    O_SEED_MODEL,
    O_BASELINE,
    O_ACCOMPANIED,
    O_LIMIT,
    O_CSV,
    O_TEMPERATURE,
    O_THRESHOLDS,
    O_MAX_POLY,
    O_MAX_LEN,
};

static const struct option long_opts[] = {
    {"help", no_argument, NULL, 'h'},
    {"quiet", no_argument, NULL, 'q'},
    {"data", required_argument, NULL, O_DATA},
    {"collection", required_argument, NULL, O_COLLECTION},
    {"split", required_argument, NULL, O_SPLIT},
    {"model", required_argument, NULL, O_MODEL},
    {"seed-model", required_argument, NULL, O_SEED_MODEL},
    {"baseline", required_argument, NULL, O_BASELINE},
    {"accompanied", required_argument, NULL, O_ACCOMPANIED},
    {"limit", required_argument, NULL, O_LIMIT},
    {"csv", required_argument, NULL, O_CSV},
    {"temperature", required_argument, NULL, O_TEMPERATURE},
    {"thresholds", required_argument, NULL, O_THRESHOLDS},
    {"max-poly", required_argument, NULL, O_MAX_POLY},
    {"max-len", required_argument, NULL, O_MAX_LEN},
    {NULL, 0, NULL, 0},
};

static int bad(const char *opt, const char *val, const char *why)
{
    fprintf(stderr, "accomp eval: --%s '%s': %s (see accomp eval --help)\n", opt, val, why);
    return 2;
}

/* A column name from a path: its file name without directories and
 * extension ("models/pop.safetensors" -> "pop"). */
static void name_from_path(const char *path, char *name, size_t cap)
{
    const char *base = strrchr(path, '/');
    base = base && base[1] ? base + 1 : path;
    size_t len = strcspn(base, ".");
    if (len == 0 || base[len] == '\0' || len >= cap)
        len = strlen(base) < cap ? strlen(base) : cap - 1;
    snprintf(name, cap, "%.*s", (int)len, base);
    if (!name[0] || !strcmp(name, "/"))
        snprintf(name, cap, "%s", "folder");
}

static int add_system(Eval *ev, SystemKind kind, const char *path, const char *name,
                      const char *opt)
{
    if (ev->n_sys == MAX_SYSTEMS)
        return bad(opt, path ? path : name, "too many systems (at most 16)");
    System *s = &ev->sys[ev->n_sys++];
    memset(s, 0, sizeof *s);
    s->kind = kind;
    s->path = path;
    if (name)
        snprintf(s->name, sizeof s->name, "%s", name);
    else
        name_from_path(path, s->name, sizeof s->name);
    return 0;
}

static int parse_args(Eval *ev, int argc, char **argv)
{
    int c, idx = 0, rc = 0, baseline = 1;
    optind = 1;
    if (add_system(ev, SYS_HUMAN, NULL, "human", "human"))
        return 2;
    while (!rc && (c = getopt_long(argc, argv, "hq", long_opts, &idx)) != -1) {
        const char *name = c >= 256 ? long_opts[idx].name : "?";
        const char *a = optarg;
        switch (c) {
        case 'h':
            usage(stdout);
            return -1;
        case 'q':
            ev->quiet = 1;
            break;
        case O_DATA:
            ev->data = a;
            break;
        case O_COLLECTION:
            if (acd_collection_parse(a, &ev->collection))
                rc = bad(name, a, "expected auto, pop909, nottingham, jsb or midi");
            break;
        case O_SPLIT:
            if (acd_split_parse(a, &ev->split))
                rc = bad(name, a, "expected train, valid, test or any");
            break;
        case O_MODEL:
            rc = add_system(ev, SYS_MODEL, a, NULL, name);
            break;
        case O_SEED_MODEL:
            rc = add_system(ev, SYS_MODEL, a, "seed", name);
            break;
        case O_BASELINE:
            if (!strcmp(a, "none"))
                baseline = 0;
            else if (!strcmp(a, "harmonizer"))
                baseline = 1;
            else
                rc = bad(name, a, "expected harmonizer or none");
            break;
        case O_ACCOMPANIED:
            rc = add_system(ev, SYS_FOLDER, a, NULL, name);
            break;
        case O_LIMIT: {
            char *end;
            errno = 0;
            ev->limit = strtol(a, &end, 10);
            if (errno || end == a || *end || ev->limit < 1)
                rc = bad(name, a, "expected a whole number >= 1");
            break;
        }
        case O_CSV:
            ev->csv = a;
            break;
        case O_TEMPERATURE: {
            char *end;
            ev->temperature = strtod(a, &end);
            if (end == a || *end || !(ev->temperature >= 0.0 && ev->temperature <= 100.0))
                rc = bad(name, a, "expected a number in [0, 100]");
            break;
        }
        case O_THRESHOLDS: {
            char on[64];
            const char *colon = strchr(a, ':');
            if (!colon || (size_t)(colon - a) >= sizeof on) {
                rc = bad(name, a, "expected ON:HOLD, two numbers in (0, 1)");
                break;
            }
            snprintf(on, sizeof on, "%.*s", (int)(colon - a), a);
            if (!acd_parse_double(on, &ev->thresh_onset) ||
                !acd_parse_double(colon + 1, &ev->thresh_hold) ||
                !(ev->thresh_onset > 0.0 && ev->thresh_onset < 1.0) ||
                !(ev->thresh_hold > 0.0 && ev->thresh_hold < 1.0))
                rc = bad(name, a, "expected ON:HOLD, two numbers in (0, 1)");
            break;
        }
        case O_MAX_POLY:
            if (!acd_parse_long(a, &ev->max_poly) || ev->max_poly < 0 ||
                ev->max_poly > ACD_SAMPLER_MAX_PITCH)
                rc = bad(name, a, "expected a whole number in [0, 128]");
            break;
        case O_MAX_LEN:
            if (!acd_parse_long(a, &ev->max_len) || ev->max_len < 0 || ev->max_len > 100000)
                rc = bad(name, a, "expected a whole number of steps in [0, 100000]");
            break;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (rc)
        return rc;
    if (optind < argc && !ev->data)
        ev->data = argv[optind++];
    if (optind < argc) {
        fprintf(stderr, "accomp eval: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    if (!ev->data) {
        usage(stderr);
        return 2;
    }
    if (baseline) {
        /* The baseline sits right after the human column, before models. */
        if (ev->n_sys == MAX_SYSTEMS)
            return bad("baseline", "harmonizer", "too many systems (at most 16)");
        memmove(&ev->sys[2], &ev->sys[1], (ev->n_sys - 1) * sizeof ev->sys[0]);
        ev->n_sys++;
        memset(&ev->sys[1], 0, sizeof ev->sys[1]);
        ev->sys[1].kind = SYS_HARMONIZER;
        snprintf(ev->sys[1].name, sizeof ev->sys[1].name, "harmonizer");
    }
    return 0;
}

/* POP909 keeps chord labels beside each song's MIDI file. */
static AcdStatus load_labels(const AcdSong *song, AcdChordLabels *labels, int *found, AcdError *err)
{
    *found = 0;
    if (!song->path)
        return ACD_OK;
    char dir[4096], path[4200];
    snprintf(dir, sizeof dir, "%s", song->path);
    snprintf(path, sizeof path, "%s/chord_midi.txt", dirname(dir));
    if (access(path, R_OK) != 0)
        return ACD_OK;
    AcdStatus st = acd_chord_labels_load(path, labels, err);
    *found = st == ACD_OK;
    return st;
}

/* An accompanied file's accompaniment (the tracks its roles call so), moved
 * onto the song's beats through seconds, the one clock both files share. */
static AcdStatus load_accompanied(const System *s, const AcdSong *song, AcdSongNote **out,
                                  size_t *n, AcdError *err)
{
    char path[4200];
    size_t len = strlen(song->name);
    int has_ext = len > 4 && !strcmp(song->name + len - 4, ".mid");
    snprintf(path, sizeof path, "%s/%s%s", s->path, song->name, has_ext ? "" : ".mid");
    if (access(path, R_OK) != 0)
        return acd_error_set(err, ACD_ERR_IO, "%s: %s", path, strerror(errno));
    AcdSong *acc = NULL;
    AcdStatus st = acd_song_load_midi(path, &acc, err);
    if (st)
        return st;
    *n = acc->n_accomp;
    *out = malloc((acc->n_accomp ? acc->n_accomp : 1) * sizeof **out);
    if (!*out) {
        acd_song_free(acc);
        return acd_error_set(err, ACD_ERR_NOMEM, "%s: out of memory", path);
    }
    for (size_t i = 0; i < acc->n_accomp; i++) {
        (*out)[i] = acc->accomp[i];
        (*out)[i].start_beat = acd_beatgrid_sec_to_beat(&song->grid, acc->accomp[i].start_sec);
        (*out)[i].end_beat = acd_beatgrid_sec_to_beat(&song->grid, acc->accomp[i].end_sec);
    }
    acd_song_free(acc);
    return ACD_OK;
}

/* One system's accompaniment of one song, scored into its sums. */
static AcdStatus score_system(const Eval *ev, System *s, const AcdSong *song,
                              const AcdMetricsSong *ms, AcdError *err)
{
    AcdSongNote *notes = NULL;
    size_t n = 0;
    AcdRender r;
    memset(&r, 0, sizeof r);
    AcdStatus st = ACD_OK;
    switch (s->kind) {
    case SYS_HUMAN:
        return acd_metrics_score(ms, song->accomp, song->n_accomp, &s->sum);
    case SYS_HARMONIZER: {
        AcdHarmonizerConfig cfg;
        acd_harmonizer_config_default(&cfg);
        st = acd_harmonizer_run(&cfg, song->melody, song->n_melody, &song->grid, &notes, &n, err);
        break;
    }
    case SYS_MODEL: {
        AcdRenderConfig cfg;
        acd_render_config_default(&cfg, s->model);
        if (ev->temperature >= 0.0)
            cfg.engine.sampler.temperature = (float)ev->temperature;
        if (ev->thresh_onset > 0.0) {
            cfg.engine.sampler.thresh_onset = (float)ev->thresh_onset;
            cfg.engine.sampler.thresh_hold = (float)ev->thresh_hold;
        }
        if (ev->max_poly >= 0)
            cfg.engine.sampler.max_poly = (int)ev->max_poly;
        if (ev->max_len >= 0)
            cfg.engine.sampler.max_len_steps = (int)ev->max_len;
        st = acd_render_song(s->model, &cfg, song, &r, err);
        if (st == ACD_OK)
            st = acd_metrics_score(ms, r.notes, r.n_notes, &s->sum);
        acd_render_cleanup(&r);
        return st;
    }
    case SYS_FOLDER:
        st = load_accompanied(s, song, &notes, &n, err);
        break;
    }
    if (st == ACD_OK)
        st = acd_metrics_score(ms, notes, n, &s->sum);
    free(notes);
    return st;
}

static double now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Score every system on one song; a system that fails on it is counted and
 * reported, the others go on. Returns nonzero when the song is skipped. */
static int eval_song(Eval *ev, const AcdSong *song)
{
    AcdError err = {0};
    AcdChordLabels labels = {NULL, 0};
    int have_labels;
    if (load_labels(song, &labels, &have_labels, &err)) {
        fprintf(stderr, "accomp eval: %s (scoring without labels)\n", acd_error_text(&err));
        have_labels = 0;
    }
    AcdMetricsSong ms;
    AcdStatus st = acd_metrics_song_init(&ms, song, have_labels ? &labels : NULL, &err);
    acd_chord_labels_cleanup(&labels);
    if (st) {
        fprintf(stderr, "accomp eval: skipping %s: %s\n", song->name, acd_error_text(&err));
        return 1;
    }
    for (size_t k = 0; k < ev->n_sys; k++) {
        System *s = &ev->sys[k];
        err.msg[0] = '\0';
        if ((st = score_system(ev, s, song, &ms, &err))) {
            s->n_missing++;
            fprintf(stderr, "accomp eval: %s on %s: %s\n", s->name, song->name,
                    err.msg[0] ? err.msg : acd_strerror(st));
        }
    }
    acd_metrics_song_cleanup(&ms);
    return 0;
}

static int run(Eval *ev)
{
    AcdError err = {0};
    for (size_t k = 0; k < ev->n_sys; k++)
        if (ev->sys[k].kind == SYS_MODEL &&
            acd_model_load(ev->sys[k].path, &ev->sys[k].model, &err)) {
            fprintf(stderr, "accomp eval: %s\n", acd_error_text(&err));
            return 1;
        }
    AcdDataset *ds = NULL;
    if (acd_dataset_open(ev->data, ev->collection, ev->split, &ds, &err)) {
        fprintf(stderr, "accomp eval: %s\n", acd_error_text(&err));
        return 1;
    }
    size_t n = acd_dataset_count(ds);
    if (ev->limit > 0 && (size_t)ev->limit < n)
        n = (size_t)ev->limit;
    double t0 = now_sec();
    size_t skipped = 0;
    for (size_t i = 0; i < n; i++) {
        if (!ev->quiet)
            fprintf(stderr, "eval: [%zu/%zu] %s\n", i + 1, n, acd_dataset_name(ds, i));
        AcdSong *song = NULL;
        if (acd_dataset_load(ds, i, &song, &err)) {
            fprintf(stderr, "accomp eval: skipping %s: %s\n", acd_dataset_name(ds, i),
                    acd_error_text(&err));
            skipped++;
            continue;
        }
        skipped += (size_t)eval_song(ev, song);
        acd_song_free(song);
    }
    acd_dataset_free(ds);
    double secs = now_sec() - t0;
    if (!ev->quiet)
        fprintf(stderr, "eval: %zu songs (%zu skipped) of %s, split %s, in %.1f s\n", n - skipped,
                skipped, ev->data, acd_split_name(ev->split), secs);
    if (n == skipped) {
        fprintf(stderr, "accomp eval: no song could be scored\n");
        return 1;
    }
    AcdEvalColumn cols[MAX_SYSTEMS];
    for (size_t k = 0; k < ev->n_sys; k++) {
        cols[k].name = ev->sys[k].name;
        cols[k].metrics = &ev->sys[k].sum;
        cols[k].n_missing = ev->sys[k].n_missing;
    }
    acd_eval_print_table(stdout, cols, ev->n_sys);
    if (ev->csv && acd_eval_write_csv(ev->csv, cols, ev->n_sys, &err)) {
        fprintf(stderr, "accomp eval: %s\n", acd_error_text(&err));
        return 1;
    }
    for (size_t k = 0; k < ev->n_sys; k++)
        if (ev->sys[k].n_missing)
            return 1;
    return 0;
}

int acd_cmd_eval(int argc, char **argv)
{
    Eval ev;
    memset(&ev, 0, sizeof ev);
    ev.split = ACD_SPLIT_VALID;
    ev.temperature = -1.0;
    ev.thresh_onset = ev.thresh_hold = -1.0;
    ev.max_poly = ev.max_len = -1;
    int rc = parse_args(&ev, argc, argv);
    if (rc)
        return rc < 0 ? 0 : rc;
    rc = run(&ev);
    for (size_t k = 0; k < ev.n_sys; k++)
        acd_model_free(ev.sys[k].model);
    return rc;
}
