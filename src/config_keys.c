/* The configuration keys (one per AcdOptions setting), their ranges, and --print-config. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config_internal.h"

#define OFF(field) offsetof(AcdOptions, field)

/* The ranges are the flags' (src/accompd_options.c); conf/accompd.conf
 * documents each key, and a test checks it loads to the defaults. */
const Key acd_config_keys[] = {
    {"model", "model", KEY_STRING, OFF(model_path), 0, 0, KEY_NONEMPTY,
     "none: --model is required"},
    {"name", "name", KEY_STRING, OFF(client_name), 0, 0, KEY_NONEMPTY, NULL},
    {"server", "server", KEY_STRING, OFF(server_name), 0, 0, KEY_NONEMPTY,
     "$JACK_DEFAULT_SERVER or the default server"},
    {"connect_in", "connect-in", KEY_LIST, OFF(connect_in), 0, 0, 0, NULL},
    {"connect_out", "connect-out", KEY_LIST, OFF(connect_out), 0, 0, 0, NULL},
    {"connect_thru", "connect-thru", KEY_LIST, OFF(connect_thru), 0, 0, 0, NULL},
    {"tempo", "tempo", KEY_DOUBLE, OFF(tempo_bpm), 20, 400, 0, NULL},
    {"steps_per_beat", "steps-per-beat", KEY_INT, OFF(steps_per_beat), 1, 48, 0, "the model's"},
    {"beats_per_bar", "beats-per-bar", KEY_INT, OFF(beats_per_bar), 1, 32, 0, NULL},
    {"grace_ms", "grace-ms", KEY_DOUBLE, OFF(grace_ms), 0, 100, 0, NULL},
    {"seed", "seed", KEY_U64, OFF(seed), 0, 2147483647.0, 0, NULL},
    {"temperature", "temperature", KEY_DOUBLE, OFF(temperature), 0, 10, 0, "the model's, else greedy"},
    {"max_poly", "max-poly", KEY_INT, OFF(max_poly), 0, 128, 0, "the model's, else 8"},
    {"channel", "channel", KEY_INT, OFF(channel), 1, 16, 0, NULL},
    {"velocity", "velocity", KEY_INT, OFF(velocity), 1, 127, 0, NULL},
    {"count_in", "count-in", KEY_INT, OFF(count_in_steps), 0, 1024, 0, NULL},
    {"stop_bars", "stop-bars", KEY_INT, OFF(stop_after_bars), 0, 1000, 0, NULL},
    {"thru", "thru", KEY_BOOL, OFF(thru), 0, 1, 0, NULL},
    {"no_transport", "no-transport", KEY_BOOL, OFF(no_transport), 0, 1, 0, NULL},
    {"midi_clock", "midi-clock", KEY_BOOL, OFF(midi_clock), 0, 1, 0, NULL},
    {"panic_cc", "panic-cc", KEY_INT, OFF(panic_cc), 0, 127, 0, "none"},
    {"in_ring", "in-ring", KEY_SIZE, OFF(in_ring), 16, 1048576, KEY_POW2, NULL},
    {"out_ring", "out-ring", KEY_SIZE, OFF(out_ring), 16, 1048576, KEY_POW2, NULL},
    {"in_reserve", "in-reserve", KEY_SIZE, OFF(in_reserve), 0, 524288, 0, NULL},
    {"verbose", "verbose", KEY_COUNT, OFF(verbose), 0, 3, 0, NULL},
    {"backend", "backend", KEY_STRING, OFF(backend), 0, 0, KEY_NONEMPTY, NULL},
    {"pid_file", "pid-file", KEY_STRING, OFF(pid_file), 0, 0, KEY_NONEMPTY,
     "$XDG_RUNTIME_DIR/accompd/NAME.pid"},
    {"cc_onoff", "cc-onoff", KEY_INT, OFF(cc_onoff), -1, 127, 0, NULL},
    {"cc_variety", "cc-variety", KEY_INT, OFF(cc_variety), -1, 127, 0, NULL},
    {"cc_density", "cc-density", KEY_INT, OFF(cc_density), -1, 127, 0, NULL},
    {"cc_velocity", "cc-velocity", KEY_INT, OFF(cc_velocity), -1, 127, 0, NULL},
    {"cc_tempo", "cc-tempo", KEY_INT, OFF(cc_tempo), -1, 127, 0, NULL},
    {"program", "program", KEY_INT, OFF(program), 0, 127, 0, "none"},
    {"bass_channel", "bass-channel", KEY_INT, OFF(bass_channel), 0, 16, 0, NULL},
    {"dynamics", "dynamics", KEY_DOUBLE, OFF(dynamics), 0, 1, 0, NULL},
};
const size_t acd_config_n_keys_ = sizeof acd_config_keys / sizeof acd_config_keys[0];

_Static_assert(sizeof acd_config_keys / sizeof acd_config_keys[0] <= ACD_CONFIG_MAX_KEYS,
               "raise ACD_CONFIG_MAX_KEYS");

const Key *acd_config_key_find(const char *name)
{
    for (size_t i = 0; i < acd_config_n_keys_; i++)
        if (strcmp(acd_config_keys[i].name, name) == 0)
            return &acd_config_keys[i];
    return NULL;
}

size_t acd_config_key_index(const Key *k)
{
    return (size_t)(k - acd_config_keys);
}

size_t acd_config_n_keys(void)
{
    return acd_config_n_keys_;
}

const char *acd_config_key(size_t i)
{
    return i < acd_config_n_keys_ ? acd_config_keys[i].name : NULL;
}

void *acd_config_field(AcdOptions *o, const Key *k)
{
    return (char *)o + k->offset;
}

const void *acd_config_field_const(const AcdOptions *o, const Key *k)
{
    return (const char *)o + k->offset;
}

static bool same_string(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

bool acd_config_key_equal(const AcdOptions *a, const AcdOptions *b, const Key *k)
{
    const void *fa = acd_config_field_const(a, k), *fb = acd_config_field_const(b, k);
    switch (k->kind) {
    case KEY_STRING:
        return same_string(*(const char *const *)fa, *(const char *const *)fb);
    case KEY_LIST: {
        const char *const *la = fa, *const *lb = fb;
        for (int i = 0; i <= ACD_OPTIONS_MAX_PATTERNS; i++)
            if (!same_string(la[i], lb[i]))
                return false;
        return true;
    }
    case KEY_DOUBLE:
        return *(const double *)fa == *(const double *)fb;
    case KEY_INT:
    case KEY_COUNT:
        return *(const int *)fa == *(const int *)fb;
    case KEY_SIZE:
        return *(const size_t *)fa == *(const size_t *)fb;
    case KEY_U64:
        return *(const uint64_t *)fa == *(const uint64_t *)fb;
    case KEY_BOOL:
        return *(const bool *)fa == *(const bool *)fb;
    }
    return false;
}

bool acd_config_equal(const AcdOptions *a, const AcdOptions *b)
{
    for (size_t i = 0; i < acd_config_n_keys_; i++)
        if (!acd_config_key_equal(a, b, &acd_config_keys[i]))
            return false;
    return true;
}

/* A libconfig string literal: quotes, backslashes and control bytes escaped. */
static void print_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7F)
            fprintf(f, "\\x%02X", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

/* The shortest text that reads back as v, always with a '.' or an exponent
 * so that it reads as a float. */
static void print_double(FILE *f, double v)
{
    char buf[40];
    for (int prec = 6; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    fputs(buf, f);
    if (!strpbrk(buf, ".eEn"))
        fputs(".0", f);
}

/* Whether the key holds "nothing" (no string, or a number below its range
 * meaning "someone else's default"). */
static bool is_unset(const AcdOptions *o, const Key *k)
{
    const void *v = acd_config_field_const(o, k);
    switch (k->kind) {
    case KEY_STRING:
        return *(const char *const *)v == NULL;
    case KEY_DOUBLE:
        return *(const double *)v < k->lo;
    case KEY_INT:
        return *(const int *)v < k->lo;
    default:
        return false;
    }
}

static void print_value(FILE *f, const AcdOptions *o, const Key *k)
{
    const void *v = acd_config_field_const(o, k);
    switch (k->kind) {
    case KEY_STRING:
        print_string(f, *(const char *const *)v);
        break;
    case KEY_LIST: {
        const char *const *l = v;
        fputc('[', f);
        for (int i = 0; i < ACD_OPTIONS_MAX_PATTERNS && l[i]; i++) {
            fputs(i ? ", " : "", f);
            print_string(f, l[i]);
        }
        fputc(']', f);
        break;
    }
    case KEY_DOUBLE:
        print_double(f, *(const double *)v);
        break;
    case KEY_INT:
    case KEY_COUNT:
        fprintf(f, "%d", *(const int *)v);
        break;
    case KEY_SIZE:
        fprintf(f, "%zu", *(const size_t *)v);
        break;
    case KEY_U64:
        fprintf(f, "%llu", (unsigned long long)*(const uint64_t *)v);
        break;
    case KEY_BOOL:
        fputs(*(const bool *)v ? "true" : "false", f);
        break;
    }
}

void acd_config_print(const AcdConfig *cfg, const AcdOptions *o, FILE *f)
{
    fprintf(f, "# accompd effective settings; file: %s\n", cfg->path ? cfg->path : "none");
    for (size_t i = 0; i < acd_config_n_keys_; i++) {
        const Key *k = &acd_config_keys[i];
        if (is_unset(o, k)) {
            fprintf(f, "# %s: unset (%s);", k->name, k->unset ? k->unset : "none");
        } else {
            fprintf(f, "%s = ", k->name);
            print_value(f, o, k);
            fputc(';', f);
        }
        const AcdOrigin *org = &cfg->origin[i];
        switch (org->kind) {
        case ACD_ORIGIN_DEFAULT:
            fputs("  # default\n", f);
            break;
        case ACD_ORIGIN_FILE:
            fprintf(f, "  # %s:%u\n", cfg->path ? cfg->path : "?", org->line);
            break;
        case ACD_ORIGIN_FLAG:
            fprintf(f, "  # flag %s%s\n", k->kind == KEY_COUNT ? "-v, --" : "--", k->flag);
            break;
        }
    }
}
