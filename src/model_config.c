/* Model hyper-parameters: defaults, checks, and their safetensors metadata strings. */
#include "accompd/model.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { K_INT, K_FLOAT, K_ROLL, K_FEATURES } KeyKind;

/* Optional keys come in groups that are present or absent together. */
typedef enum { REQUIRED = 0, OPT_THRESH, OPT_PLAY } KeyGroup;

typedef struct {
    const char *key;
    KeyKind kind;
    size_t off; /* of the int or float field */
    int lo, hi; /* range of an int */
    KeyGroup group;
} KeyDesc;

#define INT_KEY(k, f, lo, hi, grp)                                                                 \
    {                                                                                              \
        k, K_INT, offsetof(AcdModelConfig, f), lo, hi, grp                                         \
    }
#define FLT_KEY(k, f, grp)                                                                         \
    {                                                                                              \
        k, K_FLOAT, offsetof(AcdModelConfig, f), 0, 0, grp                                         \
    }

/* File order of the metadata keys. */
static const KeyDesc keys[] = {
    INT_KEY("accompd.version", version, 1, 1000, REQUIRED),
    {"roll", K_ROLL, 0, 0, 0, false},
    INT_KEY("mel_lo", mel_lo, 0, 127, REQUIRED),
    INT_KEY("mel_hi", mel_hi, 0, 127, REQUIRED),
    INT_KEY("acc_lo", acc_lo, 0, 127, REQUIRED),
    INT_KEY("acc_hi", acc_hi, 0, 127, REQUIRED),
    INT_KEY("steps_per_beat", steps_per_beat, 1, ACD_MODEL_MAX_STEPS_PER_BEAT, REQUIRED),
    INT_KEY("beats_per_bar_max", beats_per_bar_max, 1, ACD_MODEL_MAX_BEATS_PER_BAR, REQUIRED),
    {"features", K_FEATURES, 0, 0, 0, false},
    FLT_KEY("pc_decay", pc_decay, REQUIRED),
    INT_KEY("enc_hidden", enc_hidden, 1, ACD_MODEL_MAX_HIDDEN, REQUIRED),
    INT_KEY("enc_layers", enc_layers, 1, ACD_MODEL_MAX_LAYERS, REQUIRED),
    INT_KEY("dec_hidden", dec_hidden, 1, ACD_MODEL_MAX_HIDDEN, REQUIRED),
    INT_KEY("dec_layers", dec_layers, 1, ACD_MODEL_MAX_LAYERS, REQUIRED),
    INT_KEY("window", window, 1, ACD_MODEL_MAX_WINDOW, REQUIRED),
    INT_KEY("hop", hop, 1, ACD_MODEL_MAX_WINDOW, REQUIRED),
    FLT_KEY("thresh_onset", thresh_onset, OPT_THRESH),
    FLT_KEY("thresh_hold", thresh_hold, OPT_THRESH),
    FLT_KEY("temperature", play_temperature, OPT_PLAY),
    INT_KEY("max_poly", play_max_poly, 0, ACD_MODEL_MAX_POLY, OPT_PLAY),
};
#define N_KEYS (sizeof keys / sizeof keys[0])

static const struct {
    const char *name;
    unsigned bit;
} feature_names[] = {
    {"step_in_beat", ACD_FEAT_STEP_IN_BEAT},
    {"beat_in_bar", ACD_FEAT_BEAT_IN_BAR},
    {"pc_hist", ACD_FEAT_PC_HIST},
};

void acd_model_config_default(AcdModelConfig *cfg)
{
    *cfg = (AcdModelConfig){
        .version = ACD_MODEL_VERSION,
        .roll = ACD_ROLL_ONSET_HOLD,
        .mel_lo = 48,
        .mel_hi = 95,
        .acc_lo = 28,
        .acc_hi = 91,
        .steps_per_beat = 4,
        .beats_per_bar_max = 8,
        .features = ACD_FEAT_ALL,
        .pc_decay = 0.98f,
        .enc_hidden = 128,
        .enc_layers = 1,
        .dec_hidden = 128,
        .dec_layers = 1,
        .window = 100,
        .hop = 50,
    };
    AcdStatus st = acd_model_config_check(cfg, NULL);
    (void)st;
}

AcdStatus acd_model_config_check(AcdModelConfig *cfg, AcdError *err)
{
    for (size_t i = 0; i < N_KEYS; i++) {
        if (keys[i].kind != K_INT || !acd_model_config_has(cfg, keys[i].key))
            continue;
        int v;
        memcpy(&v, (const char *)cfg + keys[i].off, sizeof v);
        if (v < keys[i].lo || v > keys[i].hi)
            return acd_error_set(err, ACD_ERR_RANGE, "%s = %d is outside [%d, %d]", keys[i].key, v,
                                 keys[i].lo, keys[i].hi);
    }
    if (cfg->version != ACD_MODEL_VERSION)
        return acd_error_set(err, ACD_ERR_UNSUPPORTED,
                             "accompd.version = %d, this build reads version %d", cfg->version,
                             ACD_MODEL_VERSION);
    if (cfg->roll != ACD_ROLL_ONSET_HOLD && cfg->roll != ACD_ROLL_ONOFF)
        return acd_error_set(err, ACD_ERR_RANGE, "roll kind %d is unknown", (int)cfg->roll);
    if (cfg->mel_lo > cfg->mel_hi)
        return acd_error_set(err, ACD_ERR_RANGE, "mel_lo = %d is above mel_hi = %d", cfg->mel_lo,
                             cfg->mel_hi);
    if (cfg->acc_lo > cfg->acc_hi)
        return acd_error_set(err, ACD_ERR_RANGE, "acc_lo = %d is above acc_hi = %d", cfg->acc_lo,
                             cfg->acc_hi);
    if (cfg->features & ~(unsigned)ACD_FEAT_ALL)
        return acd_error_set(err, ACD_ERR_RANGE, "unknown feature bits 0x%x", cfg->features);
    if (!(cfg->pc_decay >= 0.0f && cfg->pc_decay <= 1.0f))
        return acd_error_set(err, ACD_ERR_RANGE, "pc_decay = %g is outside [0, 1]",
                             (double)cfg->pc_decay);
    if (cfg->hop > cfg->window || cfg->window % cfg->hop != 0)
        return acd_error_set(err, ACD_ERR_RANGE, "hop = %d must divide window = %d", cfg->hop,
                             cfg->window);
    if (cfg->window / cfg->hop > ACD_MODEL_MAX_COPIES)
        return acd_error_set(err, ACD_ERR_RANGE, "window / hop = %d is above %d",
                             cfg->window / cfg->hop, ACD_MODEL_MAX_COPIES);
    if (cfg->has_thresh && !(cfg->thresh_onset > 0.0f && cfg->thresh_onset < 1.0f &&
                             cfg->thresh_hold > 0.0f && cfg->thresh_hold < 1.0f))
        return acd_error_set(err, ACD_ERR_RANGE, "thresholds %g, %g are outside (0, 1)",
                             (double)cfg->thresh_onset, (double)cfg->thresh_hold);
    if (cfg->has_play && !(cfg->play_temperature >= 0.0f && cfg->play_temperature <= 10.0f))
        return acd_error_set(err, ACD_ERR_RANGE, "temperature = %g is outside [0, 10]",
                             (double)cfg->play_temperature);

    int bits = cfg->roll == ACD_ROLL_ONSET_HOLD ? 2 : 1;
    cfg->p_mel = cfg->mel_hi - cfg->mel_lo + 1;
    cfg->p_acc = cfg->acc_hi - cfg->acc_lo + 1;
    cfg->n_out = bits * cfg->p_acc;
    cfg->n_in = bits * cfg->p_mel;
    if (cfg->features & ACD_FEAT_STEP_IN_BEAT)
        cfg->n_in += cfg->steps_per_beat;
    if (cfg->features & ACD_FEAT_BEAT_IN_BAR)
        cfg->n_in += cfg->beats_per_bar_max;
    if (cfg->features & ACD_FEAT_PC_HIST)
        cfg->n_in += 12;
    return ACD_OK;
}

static const KeyDesc *find_key(const char *key)
{
    for (size_t i = 0; i < N_KEYS; i++)
        if (strcmp(keys[i].key, key) == 0)
            return &keys[i];
    return NULL;
}

static void mark_present(AcdModelConfig *cfg, KeyGroup g)
{
    if (g == OPT_THRESH)
        cfg->has_thresh = true;
    else if (g == OPT_PLAY)
        cfg->has_play = true;
}

bool acd_model_config_optional(const char *key)
{
    const KeyDesc *k = find_key(key);
    return k && k->group != REQUIRED;
}

bool acd_model_config_has(const AcdModelConfig *cfg, const char *key)
{
    const KeyDesc *k = find_key(key);
    if (!k)
        return false;
    switch (k->group) {
    case OPT_THRESH:
        return cfg->has_thresh;
    case OPT_PLAY:
        return cfg->has_play;
    case REQUIRED:
        break;
    }
    return true;
}

/* Strict decimal integer: optional sign, digits, nothing else. */
static bool parse_int(const char *s, long *out)
{
    if (*s == '\0' || strlen(s) > 12)
        return false;
    const char *p = s;
    if (*p == '-' || *p == '+')
        p++;
    if (*p == '\0')
        return false;
    for (const char *q = p; *q; q++)
        if (*q < '0' || *q > '9')
            return false;
    *out = strtol(s, NULL, 10);
    return true;
}

static bool parse_float(const char *s, float *out)
{
    if (*s == '\0' || *s == ' ' || strlen(s) > 40)
        return false;
    char *end;
    errno = 0;
    float v = strtof(s, &end);
    if (*end != '\0' || errno != 0 || !isfinite(v))
        return false;
    *out = v;
    return true;
}

static AcdStatus parse_features(const char *value, unsigned *out, AcdError *err)
{
    unsigned bits = 0;
    const char *p = value;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        size_t k = 0;
        for (; k < sizeof feature_names / sizeof feature_names[0]; k++)
            if (strlen(feature_names[k].name) == len && strncmp(feature_names[k].name, p, len) == 0)
                break;
        if (k == sizeof feature_names / sizeof feature_names[0])
            return acd_error_set(err, ACD_ERR_FORMAT,
                                 "metadata 'features': unknown block '%.*s' (expected "
                                 "step_in_beat, beat_in_bar, pc_hist)",
                                 (int)(len > 40 ? 40 : len), p);
        bits |= feature_names[k].bit;
        p += len;
        if (*p == ',')
            p++;
    }
    *out = bits;
    return ACD_OK;
}

AcdStatus acd_model_config_set(AcdModelConfig *cfg, const char *key, const char *value,
                               AcdError *err)
{
    const KeyDesc *k = find_key(key);
    if (!k)
        return acd_error_set(err, ACD_ERR_INVALID, "unknown model key '%s'", key);
    switch (k->kind) {
    case K_INT: {
        long v;
        if (!parse_int(value, &v))
            return acd_error_set(err, ACD_ERR_FORMAT,
                                 "metadata '%s': expected an integer, found '%.40s'", key, value);
        if (v < k->lo || v > k->hi)
            return acd_error_set(err, ACD_ERR_RANGE, "metadata '%s': %ld is outside [%d, %d]", key,
                                 v, k->lo, k->hi);
        int iv = (int)v;
        memcpy((char *)cfg + k->off, &iv, sizeof iv);
        mark_present(cfg, k->group);
        return ACD_OK;
    }
    case K_FLOAT: {
        float v;
        if (!parse_float(value, &v))
            return acd_error_set(err, ACD_ERR_FORMAT,
                                 "metadata '%s': expected a finite number, found '%.40s'", key,
                                 value);
        memcpy((char *)cfg + k->off, &v, sizeof v);
        mark_present(cfg, k->group);
        return ACD_OK;
    }
    case K_ROLL:
        if (strcmp(value, "onset_hold") == 0)
            cfg->roll = ACD_ROLL_ONSET_HOLD;
        else if (strcmp(value, "onoff") == 0)
            cfg->roll = ACD_ROLL_ONOFF;
        else
            return acd_error_set(err, ACD_ERR_FORMAT,
                                 "metadata 'roll': expected onset_hold or onoff, found '%.40s'",
                                 value);
        return ACD_OK;
    case K_FEATURES:
        return parse_features(value, &cfg->features, err);
    }
    return acd_error_set(err, ACD_ERR_INVALID, "unknown model key '%s'", key);
}

const char *acd_model_config_key(size_t i)
{
    return i < N_KEYS ? keys[i].key : NULL;
}

bool acd_model_config_format(const AcdModelConfig *cfg, const char *key, char *buf, size_t size)
{
    const KeyDesc *k = find_key(key);
    if (!k || size == 0)
        return false;
    int n = 0;
    switch (k->kind) {
    case K_INT: {
        if (!acd_model_config_has(cfg, key))
            return false;
        int v;
        memcpy(&v, (const char *)cfg + k->off, sizeof v);
        n = snprintf(buf, size, "%d", v);
        break;
    }
    case K_FLOAT: {
        if (!acd_model_config_has(cfg, key))
            return false;
        float v;
        memcpy(&v, (const char *)cfg + k->off, sizeof v);
        /* The shortest text that reads back as the same float, so that
         * "0.98" stays "0.98" (%.9g always round-trips). */
        for (int prec = 1; prec <= 9; prec++) {
            n = snprintf(buf, size, "%.*g", prec, (double)v);
            if (n >= 0 && (size_t)n < size && strtof(buf, NULL) == v)
                break;
        }
        break;
    }
    case K_ROLL:
        n = snprintf(buf, size, "%s", cfg->roll == ACD_ROLL_ONOFF ? "onoff" : "onset_hold");
        break;
    case K_FEATURES: {
        buf[0] = '\0';
        size_t used = 0;
        for (size_t f = 0; f < sizeof feature_names / sizeof feature_names[0]; f++) {
            if (!(cfg->features & feature_names[f].bit))
                continue;
            n = snprintf(buf + used, size - used, "%s%s", used ? "," : "", feature_names[f].name);
            if (n < 0 || (size_t)n >= size - used)
                return false;
            used += (size_t)n;
        }
        return true;
    }
    }
    return n >= 0 && (size_t)n < size;
}
