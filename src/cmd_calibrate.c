/* accomp calibrate: choose a model's greedy thresholds so that it plays as densely as the human. */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accompd/calibrate.h"
#include "accompd/numparse.h"
#include "accompd/dataset.h"
#include "accompd/engine.h"
#include "accompd/model.h"
#include "accompd/sampler.h"
#include "commands.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: accomp calibrate --model IN.safetensors [OPTIONS] [--data] DIR\n"
            "Render the songs of DIR through the live engine for candidate greedy thresholds\n"
            "(thresh_onset, thresh_hold) and choose the pair whose polyphony and onset steps\n"
            "per bar are closest to the human accompaniment's (both within --tol if possible,\n"
            "then the best harmony); print every trial; with -o, write the model with the\n"
            "chosen pair in its metadata (the tensors unchanged).\n"
            "\n"
            "      --model PATH        the model to calibrate (required)\n"
            "  -o, --out PATH          write the calibrated model here (may be the same file)\n"
            "      --data DIR          the collection (or give DIR as the argument)\n"
            "      --collection KIND   auto, pop909, nottingham, jsb, midi (default auto)\n"
            "      --split SPLIT       train, valid, test, any (default valid)\n"
            "      --target human      what to match (the only target: the songs' own accomp)\n"
            "      --tol F             relative tolerance on both densities (default 0.15)\n"
            "      --silence-margin F  silence under melody allowed above the human's (0.05)\n"
            "      --temperature T     calibrate for sampling at T (default 0: greedy)\n"
            "      --max-poly N        calibrate with this polyphony cap, 0 none (default: the\n"
            "                          model's); with --temperature or --max-poly, -o also\n"
            "                          stores both as the model's way to play\n"
            "      --limit N           the first N songs of the split only\n"
            "      --threads N         songs rendered in parallel, 1..8 (default 2)\n"
            "      --max-trials N      at most N trials (default 64)\n"
            "      --csv FILE          write the trials as CSV\n"
            "  -q, --quiet             no progress on stderr\n"
            "\n"
            "README.md, 'Calibrating a model: accomp calibrate', defines the objective.\n");
}

typedef struct {
    const char *model, *out, *data, *csv;
    AcdCollection collection;
    AcdSplit split;
    long limit;
    int quiet;
    int play; /* -o stores the temperature and polyphony cap too */
    AcdCalibrateConfig cfg;
} Opts;

enum {
    O_MODEL = 256,
    O_DATA,
    O_COLLECTION,
    O_SPLIT,
    O_TARGET,
    O_TOL,
    O_SILENCE_MARGIN,
    O_TEMPERATURE,
    O_MAX_POLY,
    O_LIMIT,
    O_THREADS,
    O_MAX_TRIALS,
    O_CSV
};

static const struct option long_opts[] = {
    {"help", no_argument, NULL, 'h'},
    {"quiet", no_argument, NULL, 'q'},
    {"out", required_argument, NULL, 'o'},
    {"model", required_argument, NULL, O_MODEL},
    {"data", required_argument, NULL, O_DATA},
    {"collection", required_argument, NULL, O_COLLECTION},
    {"split", required_argument, NULL, O_SPLIT},
    {"target", required_argument, NULL, O_TARGET},
    {"tol", required_argument, NULL, O_TOL},
    {"silence-margin", required_argument, NULL, O_SILENCE_MARGIN},
    {"temperature", required_argument, NULL, O_TEMPERATURE},
    {"max-poly", required_argument, NULL, O_MAX_POLY},
    {"limit", required_argument, NULL, O_LIMIT},
    {"threads", required_argument, NULL, O_THREADS},
    {"max-trials", required_argument, NULL, O_MAX_TRIALS},
    {"csv", required_argument, NULL, O_CSV},
    {NULL, 0, NULL, 0},
};

static int bad(const char *opt, const char *val, const char *why)
{
    fprintf(stderr, "accomp calibrate: --%s '%s': %s (see accomp calibrate --help)\n", opt, val,
            why);
    return 2;
}

static int parse_long(const char *a, long lo, long hi, long *out)
{
    long v = 0;
    if (!acd_parse_long(a, &v) || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int parse_double(const char *a, double lo, double hi, double *out)
{
    double v = 0;
    if (!acd_parse_double(a, &v) || !(v >= lo && v <= hi))
        return -1;
    *out = v;
    return 0;
}

static int parse_args(Opts *o, int argc, char **argv)
{
    int c, idx = 0;
    long l;
    double d;
    optind = 1;
    while ((c = getopt_long(argc, argv, "hqo:", long_opts, &idx)) != -1) {
        const char *name = c >= 256 ? long_opts[idx].name : "out";
        const char *a = optarg;
        switch (c) {
        case 'h':
            usage(stdout);
            return -1;
        case 'q':
            o->quiet = 1;
            break;
        case 'o':
            o->out = a;
            break;
        case O_MODEL:
            o->model = a;
            break;
        case O_DATA:
            o->data = a;
            break;
        case O_COLLECTION:
            if (acd_collection_parse(a, &o->collection))
                return bad(name, a, "expected auto, pop909, nottingham, jsb or midi");
            break;
        case O_SPLIT:
            if (acd_split_parse(a, &o->split))
                return bad(name, a, "expected train, valid, test or any");
            break;
        case O_TARGET:
            if (strcmp(a, "human") != 0)
                return bad(name, a, "expected human");
            break;
        case O_TOL:
            if (parse_double(a, 1e-6, 10.0, &d))
                return bad(name, a, "expected a number in (0, 10]");
            o->cfg.tol = d;
            break;
        case O_SILENCE_MARGIN:
            if (parse_double(a, 0.0, 1.0, &d))
                return bad(name, a, "expected a number in [0, 1]");
            o->cfg.silence_margin = d;
            break;
        case O_TEMPERATURE:
            if (parse_double(a, 0.0, 100.0, &d))
                return bad(name, a, "expected a number in [0, 100]");
            o->cfg.temperature = (float)d;
            o->play = 1;
            break;
        case O_MAX_POLY:
            if (parse_long(a, 0, ACD_SAMPLER_MAX_PITCH, &l))
                return bad(name, a, "expected a whole number in [0, 128]");
            o->cfg.max_poly = (int)l;
            o->play = 1;
            break;
        case O_LIMIT:
            if (parse_long(a, 1, 1000000, &l))
                return bad(name, a, "expected a whole number >= 1");
            o->limit = l;
            break;
        case O_THREADS:
            if (parse_long(a, 1, 8, &l))
                return bad(name, a, "expected 1..8");
            o->cfg.threads = (int)l;
            break;
        case O_MAX_TRIALS:
            if (parse_long(a, 1, 10000, &l))
                return bad(name, a, "expected a whole number >= 1");
            o->cfg.max_trials = (int)l;
            break;
        case O_CSV:
            o->csv = a;
            break;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc && !o->data)
        o->data = argv[optind++];
    if (optind < argc) {
        fprintf(stderr, "accomp calibrate: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    if (!o->data || !o->model) {
        fprintf(stderr, "accomp calibrate: %s\n",
                !o->model ? "--model is required" : "no collection given");
        usage(stderr);
        return 2;
    }
    return 0;
}

/* POP909 keeps chord labels beside each song's MIDI file (as accomp eval). */
static void load_labels(const AcdSong *song, AcdChordLabels *labels, int *found)
{
    *found = 0;
    if (!song->path)
        return;
    char dir[4096], path[4200];
    AcdError err = {0};
    snprintf(dir, sizeof dir, "%s", song->path);
    snprintf(path, sizeof path, "%s/chord_midi.txt", dirname(dir));
    if (access(path, R_OK) == 0)
        *found = acd_chord_labels_load(path, labels, &err) == ACD_OK;
}

/* "yes": densities within tolerance and quiet enough; "dens": densities only. */
static const char *rank_name(int rank)
{
    return rank == 2 ? "yes" : rank == 1 ? "dens" : "no";
}

static void print_header(FILE *f)
{
    fprintf(f, "%4s %6s %6s %5s %7s %7s %7s %7s %7s %7s %6s %s\n", "#", "onset", "hold", "T",
            "poly", "ons/bar", "notes/b", "harm_pc", "harm_lb", "silence", "dist", "ok");
}

static void print_trial(FILE *f, const char *tag, const AcdCalibrateTrial *t)
{
    fprintf(f, "%4s %6.3f %6.3f %5.2f %7.3f %7.3f %7.3f %7.3f %7.3f %7.3f %6.3f %s\n", tag,
            (double)t->thresh_onset, (double)t->thresh_hold, (double)t->temperature, t->poly,
            t->onsets_bar, acd_metrics_value(&t->metrics, ACD_METRIC_NOTES_BAR), t->harmony,
            acd_metrics_value(&t->metrics, ACD_METRIC_HARMONY_LABEL),
            acd_metrics_value(&t->metrics, ACD_METRIC_SILENCE), t->dist, rank_name(t->rank));
}

static void progress(void *user, const AcdCalibrateTrial *t, size_t index)
{
    const Opts *o = user;
    if (o->quiet)
        return;
    char tag[32];
    snprintf(tag, sizeof tag, "%zu", index + 1);
    fprintf(stderr, "calibrate: (%.1f s) ", t->seconds);
    print_trial(stderr, tag, t);
}

static int write_csv(const char *path, const AcdCalibrateTrial *t, size_t n, size_t best,
                     const AcdCalibrateTrial *ref, size_t n_ref)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "accomp calibrate: %s: %s\n", path, strerror(errno));
        return 1;
    }
    fprintf(f, "kind,thresh_onset,thresh_hold,temperature,polyphony,onset_frames_per_bar,"
               "notes_per_bar,harmony_pc,harmony_label,silence,dist,within,quiet_ok,chosen\n");
    for (size_t i = 0; i < n + n_ref; i++) {
        const AcdCalibrateTrial *x = i < n ? &t[i] : &ref[i - n];
        fprintf(f, "%s,%.3f,%.3f,%.2f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%d,%d,%d\n",
                i < n ? "search" : "reference", (double)x->thresh_onset, (double)x->thresh_hold,
                (double)x->temperature, x->poly, x->onsets_bar,
                acd_metrics_value(&x->metrics, ACD_METRIC_NOTES_BAR), x->harmony,
                acd_metrics_value(&x->metrics, ACD_METRIC_HARMONY_LABEL),
                acd_metrics_value(&x->metrics, ACD_METRIC_SILENCE), x->dist, x->within, x->quiet_ok,
                i == best);
    }
    if (fclose(f) != 0) {
        fprintf(stderr, "accomp calibrate: %s: %s\n", path, strerror(errno));
        return 1;
    }
    return 0;
}

static int load_songs(const Opts *o, AcdCalibration *cal)
{
    AcdError err = {0};
    AcdDataset *ds = NULL;
    if (acd_dataset_open(o->data, o->collection, o->split, &ds, &err)) {
        fprintf(stderr, "accomp calibrate: %s\n", acd_error_text(&err));
        return 1;
    }
    size_t n = acd_dataset_count(ds);
    if (o->limit > 0 && (size_t)o->limit < n)
        n = (size_t)o->limit;
    for (size_t i = 0; i < n; i++) {
        AcdSong *song = NULL;
        if (acd_dataset_load(ds, i, &song, &err)) {
            fprintf(stderr, "accomp calibrate: skipping %s: %s\n", acd_dataset_name(ds, i),
                    acd_error_text(&err));
            continue;
        }
        AcdChordLabels labels = {NULL, 0};
        int have;
        load_labels(song, &labels, &have);
        const char *name = acd_dataset_name(ds, i);
        if (acd_calibrate_add_song(cal, song, have ? &labels : NULL, &err))
            fprintf(stderr, "accomp calibrate: skipping %s: %s\n", name, acd_error_text(&err));
        acd_chord_labels_cleanup(&labels);
    }
    acd_dataset_free(ds);
    if (acd_calibrate_song_count(cal) == 0) {
        fprintf(stderr, "accomp calibrate: no song to calibrate on in %s\n", o->data);
        return 1;
    }
    return 0;
}

/* Search, print, compare with temperature sampling, and write. */
static int calibrate(Opts *o, const AcdModel *m, AcdCalibration *cal)
{
    AcdError err = {0};
    const AcdMetrics *tg = acd_calibrate_target(cal);
    if (!o->quiet)
        fprintf(stderr,
                "calibrate: %zu songs of %s (split %s); human: polyphony %.3f, "
                "onset steps/bar %.3f\n",
                acd_calibrate_song_count(cal), o->data, acd_split_name(o->split),
                acd_metrics_value(tg, ACD_METRIC_POLYPHONY),
                acd_metrics_value(tg, ACD_METRIC_ONSET_FRAMES_BAR));
    AcdCalibrateTrial best;
    if (acd_calibrate_search(cal, progress, o, &best, &err)) {
        fprintf(stderr, "accomp calibrate: %s\n", acd_error_text(&err));
        return 1;
    }
    size_t n = 0, chosen = 0;
    const AcdCalibrateTrial *t = acd_calibrate_trials(cal, &n);
    for (size_t i = 0; i < n; i++)
        if (t[i].thresh_onset == best.thresh_onset && t[i].thresh_hold == best.thresh_hold)
            chosen = i;

    /* References, not candidates: the model's current greedy default, and
     * temperature sampling (T = 1 at 0.5: the model's own distribution; T = 1
     * around the chosen pair). */
    const AcdModelConfig *mc = acd_model_config(m);
    float cur_on = mc->has_thresh ? mc->thresh_onset : 0.5f;
    float cur_hold = mc->has_thresh ? mc->thresh_hold : 0.5f;
    const float ref_pairs[3][3] = {
        {cur_on, cur_hold, 0.0f}, {0.5f, 0.5f, 1.0f}, {best.thresh_onset, best.thresh_hold, 1.0f}};
    AcdCalibrateTrial ref[3];
    for (size_t k = 0; k < 3; k++) {
        if (acd_calibrate_try(cal, ref_pairs[k][0], ref_pairs[k][1], ref_pairs[k][2], &ref[k],
                              &err)) {
            fprintf(stderr, "accomp calibrate: %s\n", acd_error_text(&err));
            return 1;
        }
    }

    printf("human (%zu songs): polyphony %.3f, onset steps/bar %.3f, notes/bar %.3f, "
           "harmony_pc %.3f, silence %.3f; tolerance %.0f %%\n",
           acd_calibrate_song_count(cal), acd_metrics_value(tg, ACD_METRIC_POLYPHONY),
           acd_metrics_value(tg, ACD_METRIC_ONSET_FRAMES_BAR),
           acd_metrics_value(tg, ACD_METRIC_NOTES_BAR),
           acd_metrics_value(tg, ACD_METRIC_HARMONY_PC), acd_metrics_value(tg, ACD_METRIC_SILENCE),
           100.0 * o->cfg.tol);
    print_header(stdout);
    for (size_t i = 0; i < n; i++) {
        char tag[32];
        snprintf(tag, sizeof tag, "%zu%s", i + 1, i == chosen ? "*" : "");
        print_trial(stdout, tag, &t[i]);
    }
    printf("references (not candidates): the file's greedy thresholds; sampling at T = 1\n");
    static const char *const ref_tags[3] = {"cur", "T1", "T1c"};
    for (size_t k = 0; k < 3; k++)
        print_trial(stdout, ref_tags[k], &ref[k]);
    printf("chosen: thresh_onset %.3f, thresh_hold %.3f (%s, distance %.3f, harmony %.3f)\n",
           (double)best.thresh_onset, (double)best.thresh_hold,
           best.rank == 2   ? "densities within tolerance, silence within margin"
           : best.rank == 1 ? "densities within tolerance; silence NOT within margin"
                            : "closest; densities NOT within tolerance",
           best.dist, best.harmony);

    if (o->csv && write_csv(o->csv, t, n, chosen, ref, 3))
        return 1;
    if (o->out) {
        AcdStatus st;
        if (o->play) {
            AcdEngineConfig ec;
            acd_engine_config_default(&ec, m);
            int cap = o->cfg.max_poly >= 0 ? o->cfg.max_poly : ec.sampler.max_poly;
            st = acd_calibrate_save_play(o->model, o->out, best.thresh_onset, best.thresh_hold,
                                         o->cfg.temperature, cap, &err);
        } else {
            st = acd_calibrate_save_thresholds(o->model, o->out, best.thresh_onset,
                                               best.thresh_hold, &err);
        }
        if (st) {
            fprintf(stderr, "accomp calibrate: %s\n", acd_error_text(&err));
            return 1;
        }
        printf("wrote %s\n", o->out);
    }
    return 0;
}

int acd_cmd_calibrate(int argc, char **argv)
{
    Opts o;
    memset(&o, 0, sizeof o);
    o.split = ACD_SPLIT_VALID;
    acd_calibrate_config_default(&o.cfg);
    o.cfg.threads = 2;
    int rc = parse_args(&o, argc, argv);
    if (rc)
        return rc < 0 ? 0 : rc;

    AcdError err = {0};
    AcdModel *m = NULL;
    AcdCalibration *cal = NULL;
    if (acd_model_load(o.model, &m, &err) || acd_calibrate_new(m, &o.cfg, &cal, &err)) {
        fprintf(stderr, "accomp calibrate: %s\n", acd_error_text(&err));
        acd_model_free(m);
        return 1;
    }
    rc = load_songs(&o, cal);
    if (!rc)
        rc = calibrate(&o, m, cal);
    acd_calibrate_free(cal);
    acd_model_free(m);
    return rc;
}
