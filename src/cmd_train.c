/* accomp train: train a model on a song collection (options, signals, exit status). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accompd/train.h"
#include "accompd/numparse.h"
#include "commands.h"

static volatile sig_atomic_t stop_flag;

/* Only sets the flag: the loop notices it between updates and saves a
 * checkpoint. SA_RESETHAND lets a second Ctrl-C kill at once. */
static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: accomp train [OPTIONS] DATA\n"
            "Train the encoder-decoder on DATA: a POP909, Nottingham or JSB folder (or the JSB\n"
            "CSV), or any folder of MIDI files (split by file-name hash).\n"
            "\n"
            "  -o, --out FILE          model file (default accomp.safetensors); also writes\n"
            "                          FILE.ckpt and FILE-without-extension.loss.{csv,svg}\n"
            "      --collection KIND   auto, pop909, nottingham, jsb, midi (default auto)\n"
            "      --resume            continue from the checkpoint, bit-exactly\n"
            "      --checkpoint FILE   checkpoint path (default OUT.ckpt)\n"
            "      --curves PREFIX     loss curve files PREFIX.loss.csv and .svg\n"
            "model:\n"
            "      --hidden N          H of both LSTMs (default 128); --enc-hidden, --dec-hidden\n"
            "      --layers N          layers of both (default 1); --enc-layers, --dec-layers\n"
            "      --roll KIND         onset_hold (default) or onoff (the seed configuration)\n"
            "      --features LIST     comma list of step_in_beat,beat_in_bar,pc_hist, or none\n"
            "      --mel-range LO:HI   melody pitches (default 48:95)\n"
            "      --acc-range LO:HI   accompaniment pitches (default 28:91)\n"
            "      --window N          training window in steps (default 100)\n"
            "      --hop N             run-time re-encode hop stored in the model (default 50)\n"
            "training:\n"
            "      --epochs N          passes over the training windows (default 20)\n"
            "      --max-minutes M     stop after M minutes of this invocation (default: none)\n"
            "      --batch N           windows per update (default 64)\n"
            "      --train-hop N       steps between training windows (default 50)\n"
            "      --lr F              Adam learning rate (default 0.001)\n"
            "      --clip F            max global gradient norm, 0 = off (default 1)\n"
            "      --pos-weight F      weight of positive targets in the BCE (default 1)\n"
            "      --transpose N       random transposition in [-N, N] semitones (default 6)\n"
            "      --seed N            seed of initialisation, order and augmentation (default 1)\n"
            "      --threads N         threads splitting each batch (default 2)\n"
            "      --checkpoint-minutes M  between checkpoints (default 10; 0 = end only)\n"
            "      --max-songs N       use at most N songs per split (quick runs)\n"
            "      --progress MODE     auto, bar, lines, quiet (default auto: bar on a tty)\n"
            "      --stop-after-steps N  act as if interrupted after N updates (for tests)\n"
            "\n"
            "Ctrl-C saves a checkpoint and the model; --resume continues.\n");
}

enum {
    O_COLLECTION = 256,
    O_RESUME,
    O_CHECKPOINT,
    O_CURVES,
    O_HIDDEN,
    O_ENC_HIDDEN,
    O_DEC_HIDDEN,
    O_LAYERS,
    O_ENC_LAYERS,
    O_DEC_LAYERS,
    O_ROLL,
    O_FEATURES,
    O_MEL_RANGE,
    O_ACC_RANGE,
    O_WINDOW,
    O_HOP,
    O_EPOCHS,
    O_MAX_MINUTES,
    O_BATCH,
    O_TRAIN_HOP,
    O_LR,
    O_CLIP,
    O_POS_WEIGHT,
    O_TRANSPOSE,
    O_SEED,
    O_THREADS,
    O_CKPT_MINUTES,
    O_MAX_SONGS,
    O_PROGRESS,
    O_STOP_AFTER,
};

static const struct option long_opts[] = {
    {"out", required_argument, NULL, 'o'},
    {"help", no_argument, NULL, 'h'},
    {"collection", required_argument, NULL, O_COLLECTION},
    {"resume", no_argument, NULL, O_RESUME},
    {"checkpoint", required_argument, NULL, O_CHECKPOINT},
    {"curves", required_argument, NULL, O_CURVES},
    {"hidden", required_argument, NULL, O_HIDDEN},
    {"enc-hidden", required_argument, NULL, O_ENC_HIDDEN},
    {"dec-hidden", required_argument, NULL, O_DEC_HIDDEN},
    {"layers", required_argument, NULL, O_LAYERS},
    {"enc-layers", required_argument, NULL, O_ENC_LAYERS},
    {"dec-layers", required_argument, NULL, O_DEC_LAYERS},
    {"roll", required_argument, NULL, O_ROLL},
    {"features", required_argument, NULL, O_FEATURES},
    {"mel-range", required_argument, NULL, O_MEL_RANGE},
    {"acc-range", required_argument, NULL, O_ACC_RANGE},
    {"window", required_argument, NULL, O_WINDOW},
    {"hop", required_argument, NULL, O_HOP},
    {"epochs", required_argument, NULL, O_EPOCHS},
    {"max-minutes", required_argument, NULL, O_MAX_MINUTES},
    {"batch", required_argument, NULL, O_BATCH},
    {"train-hop", required_argument, NULL, O_TRAIN_HOP},
    {"lr", required_argument, NULL, O_LR},
    {"clip", required_argument, NULL, O_CLIP},
    {"pos-weight", required_argument, NULL, O_POS_WEIGHT},
    {"transpose", required_argument, NULL, O_TRANSPOSE},
    {"seed", required_argument, NULL, O_SEED},
    {"threads", required_argument, NULL, O_THREADS},
    {"checkpoint-minutes", required_argument, NULL, O_CKPT_MINUTES},
    {"max-songs", required_argument, NULL, O_MAX_SONGS},
    {"progress", required_argument, NULL, O_PROGRESS},
    {"stop-after-steps", required_argument, NULL, O_STOP_AFTER},
    {NULL, 0, NULL, 0},
};

static int bad(const char *opt, const char *val, const char *why)
{
    fprintf(stderr, "accomp train: --%s '%s': %s (see accomp train --help)\n", opt, val, why);
    return 2;
}

static int parse_long(const char *opt, const char *s, long lo, long hi, long *out)
{
    long v = 0;
    if (!acd_parse_long(s, &v))
        return bad(opt, s, "not a whole number");
    if (v < lo || v > hi) {
        char why[96];
        snprintf(why, sizeof why, "must be %ld..%ld", lo, hi);
        return bad(opt, s, why);
    }
    *out = v;
    return 0;
}

static int parse_double(const char *opt, const char *s, double *out)
{
    double v = 0;
    if (!acd_parse_double(s, &v))
        return bad(opt, s, "not a number");
    *out = v;
    return 0;
}

/* A model key through the model module, which knows its syntax and range. */
static int set_key(AcdModelConfig *cfg, const char *opt, const char *key, const char *val)
{
    AcdError e = {0};
    if (acd_model_config_set(cfg, key, val, &e))
        return bad(opt, val, acd_error_text(&e));
    return 0;
}

static int set_range(AcdModelConfig *cfg, const char *opt, const char *lo_key, const char *hi_key,
                     const char *val)
{
    char lo[16], hi[16];
    const char *colon = strchr(val, ':');
    if (!colon || colon - val >= (long)sizeof lo || strlen(colon + 1) >= sizeof hi)
        return bad(opt, val, "expected LO:HI");
    snprintf(lo, sizeof lo, "%.*s", (int)(colon - val), val);
    snprintf(hi, sizeof hi, "%s", colon + 1);
    int rc = set_key(cfg, opt, lo_key, lo);
    return rc ? rc : set_key(cfg, opt, hi_key, hi);
}

int acd_cmd_train(int argc, char **argv)
{
    AcdTrainOptions o;
    acd_train_options_default(&o);
    AcdModelConfig *m = &o.model;
    int c, rc = 0, idx = 0;
    long v;
    double d;
    optind = 1;
    while (!rc && (c = getopt_long(argc, argv, "o:h", long_opts, &idx)) != -1) {
        const char *name = c >= 256 ? long_opts[idx].name : "out";
        const char *a = optarg;
        switch (c) {
        case 'o':
            o.out = a;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case O_COLLECTION: {
            if (acd_collection_parse(a, &o.collection))
                rc = bad(name, a, "expected auto, pop909, nottingham, jsb or midi");
            break;
        }
        case O_RESUME:
            o.resume = true;
            break;
        case O_CHECKPOINT:
            o.checkpoint = a;
            break;
        case O_CURVES:
            o.curves = a;
            break;
        case O_HIDDEN:
            rc = set_key(m, name, "enc_hidden", a);
            rc = rc ? rc : set_key(m, name, "dec_hidden", a);
            break;
        case O_ENC_HIDDEN:
            rc = set_key(m, name, "enc_hidden", a);
            break;
        case O_DEC_HIDDEN:
            rc = set_key(m, name, "dec_hidden", a);
            break;
        case O_LAYERS:
            rc = set_key(m, name, "enc_layers", a);
            rc = rc ? rc : set_key(m, name, "dec_layers", a);
            break;
        case O_ENC_LAYERS:
            rc = set_key(m, name, "enc_layers", a);
            break;
        case O_DEC_LAYERS:
            rc = set_key(m, name, "dec_layers", a);
            break;
        case O_ROLL:
            rc = set_key(m, name, "roll", a);
            break;
        case O_FEATURES:
            rc = set_key(m, name, "features", strcmp(a, "none") ? a : "");
            break;
        case O_MEL_RANGE:
            rc = set_range(m, name, "mel_lo", "mel_hi", a);
            break;
        case O_ACC_RANGE:
            rc = set_range(m, name, "acc_lo", "acc_hi", a);
            break;
        case O_WINDOW:
            rc = set_key(m, name, "window", a);
            break;
        case O_HOP:
            rc = set_key(m, name, "hop", a);
            break;
        case O_EPOCHS:
            rc = parse_long(name, a, 1, 1000000, &v);
            o.epochs = (int)v;
            break;
        case O_MAX_MINUTES:
            rc = parse_double(name, a, &o.max_minutes);
            break;
        case O_BATCH:
            rc = parse_long(name, a, 1, 4096, &v);
            o.batch = (int)v;
            break;
        case O_TRAIN_HOP:
            rc = parse_long(name, a, 1, 100000, &v);
            o.train_hop = (int)v;
            break;
        case O_LR:
            rc = parse_double(name, a, &d);
            o.lr = (float)d;
            break;
        case O_CLIP:
            rc = parse_double(name, a, &d);
            o.clip = (float)d;
            break;
        case O_POS_WEIGHT:
            rc = parse_double(name, a, &d);
            o.pos_weight = (float)d;
            break;
        case O_TRANSPOSE:
            rc = parse_long(name, a, 0, 12, &v);
            o.transpose = (int)v;
            break;
        case O_SEED:
            rc = parse_long(name, a, 0, LONG_MAX, &v);
            o.seed = (uint64_t)v;
            break;
        case O_THREADS:
            rc = parse_long(name, a, 1, 8, &v);
            o.threads = (int)v;
            break;
        case O_CKPT_MINUTES:
            rc = parse_double(name, a, &o.checkpoint_minutes);
            break;
        case O_MAX_SONGS:
            rc = parse_long(name, a, 0, LONG_MAX, &v);
            o.max_songs = (size_t)v;
            break;
        case O_STOP_AFTER:
            rc = parse_long(name, a, 0, LONG_MAX, &v);
            o.stop_after_steps = v;
            break;
        case O_PROGRESS:
            if (!strcmp(a, "auto"))
                o.progress = ACD_TRAIN_PROGRESS_AUTO;
            else if (!strcmp(a, "bar"))
                o.progress = ACD_TRAIN_PROGRESS_BAR;
            else if (!strcmp(a, "lines"))
                o.progress = ACD_TRAIN_PROGRESS_LINES;
            else if (!strcmp(a, "quiet"))
                o.progress = ACD_TRAIN_PROGRESS_QUIET;
            else
                rc = bad(name, a, "expected auto, bar, lines or quiet");
            break;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (rc)
        return rc;
    if (optind != argc - 1) {
        fprintf(stderr, "accomp train: expected one DATA folder (see accomp train --help)\n");
        return 2;
    }
    o.data = argv[optind];

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    AcdError err = {0};
    AcdTrainResult res;
    AcdStatus st = acd_train_run(&o, &stop_flag, &res, &err);
    if (st) {
        fprintf(stderr, "accomp train: %s\n", acd_error_text(&err));
        return st == ACD_ERR_INVALID || st == ACD_ERR_RANGE ? 2 : 1;
    }
    fprintf(stderr, "accomp train: %ld steps, %d epochs, train loss %.5f, valid loss %.5f -> %s\n",
            res.steps, res.epochs_done, res.train_loss, res.valid_loss, o.out);
    if (res.interrupted)
        fprintf(stderr, "accomp train: stopped early; continue with --resume\n");
    return stop_flag ? 130 : 0;
}
