/* accompd's configuration file: search, load into AcdOptions with per-key provenance, print. */
#ifndef ACCOMPD_CONFIG_H
#define ACCOMPD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "accompd/status.h"
#include "accompd_options.h"

/* Every key of the file is a setting of AcdOptions, named after its flag
 * with '_' for '-' (--grace-ms <-> grace_ms), with the flag's range. The
 * file is flat (no groups) and may not @include others: one file, read
 * whole, whose every line can be named in an error. */

/* Files larger than this are refused: a settings file is a few KB. */
#define ACD_CONFIG_MAX_BYTES (1u << 20)

/* Room for the key table (checked at start-up by the tests). */
#define ACD_CONFIG_MAX_KEYS 48

/* Where a setting's value came from. */
typedef enum {
    ACD_ORIGIN_DEFAULT = 0,
    ACD_ORIGIN_FILE, /* line in AcdOrigin, file in AcdConfig.path */
    ACD_ORIGIN_FLAG,
} AcdOriginKind;

typedef struct {
    AcdOriginKind kind;
    unsigned line; /* ACD_ORIGIN_FILE: 1-based line of the key */
} AcdOrigin;

/* The provenance of every key, the file they came from, and the storage of
 * the strings the file gave (AcdOptions points into it, so the AcdConfig
 * must outlive every use of those AcdOptions). Caller-owned storage:
 * acd_config_init / acd_config_cleanup. */
typedef struct {
    char *path; /* the file loaded (owned); NULL: none */
    AcdOrigin origin[ACD_CONFIG_MAX_KEYS];
    char **strings; /* owned copies of the file's strings */
    size_t n_strings, cap_strings;
    const char *config_arg; /* --config PATH (borrowed from argv); NULL: search */
    bool print_config;      /* --print-config was given */
} AcdConfig;

/* Empty, no file, everything from the defaults. Not RT-safe. */
void acd_config_init(AcdConfig *cfg);

/* Free what cfg owns (the AcdOptions loaded with it then dangle); cfg can
 * be initialised again. Accepts a zeroed cfg. Not RT-safe. */
void acd_config_cleanup(AcdConfig *cfg);

/* The system-wide file, from meson's sysconfdir (e.g.
 * /etc/accompd/accompd.conf). Not RT-safe. */
const char *acd_config_system_path(void);

/* Pick the file: explicit (--config; used even if missing, so that loading
 * it fails loudly), else $XDG_CONFIG_HOME/accompd/accompd.conf
 * ($HOME/.config when XDG_CONFIG_HOME is unset or relative), else the
 * system file; the first that exists wins, and is the only one read.
 * Writes the path to out; ACD_ERR_EMPTY when none exists (use the
 * defaults), ACD_ERR_LIMIT when the path does not fit. Not RT-safe. */
AcdStatus acd_config_find(const char *explicit_path, char *out, size_t cap, AcdError *err);

/* Read the file at path and set the keys it holds in o (which holds the
 * defaults), recording their lines in cfg. Errors (ACD_ERR_IO, _FORMAT,
 * _RANGE, _LIMIT) read "PATH:LINE: what is wrong". On failure o and cfg may
 * hold part of the file: throw them away. Not RT-safe. */
AcdStatus acd_config_load_file(AcdConfig *cfg, AcdOptions *o, const char *path, AcdError *err);

/* The same from text, named `name` in messages and provenance. */
AcdStatus acd_config_load_string(AcdConfig *cfg, AcdOptions *o, const char *text, const char *name,
                                 AcdError *err);

/* Remove --config PATH (also --config=PATH) and --print-config from argv in
 * place, recording them in cfg; argc is updated. Call before
 * acd_options_parse, which does not know them. Errors: --config without a
 * path. Not RT-safe. */
AcdStatus acd_config_take_args(AcdConfig *cfg, int *argc, char **argv, AcdError *err);

/* Parse the command line over o (acd_options_parse), so that flags win
 * over the file, and mark as ACD_ORIGIN_FLAG every key the flags name or
 * change. A list flag (--connect-in ...) replaces the file's list instead of
 * adding to it. Not RT-safe. */
AcdStatus acd_config_apply_flags(AcdConfig *cfg, AcdOptions *o, int argc, char **argv,
                                 AcdError *err);

/* The whole start-up (and SIGHUP reload) sequence on a fresh cfg and o:
 * defaults, acd_config_take_args, acd_config_find + load, flags. argv is
 * reordered as by acd_config_take_args. Errors are prefixed by nothing:
 * print them as they are. Not RT-safe. */
AcdStatus acd_config_setup(AcdConfig *cfg, AcdOptions *o, int *argc, char **argv, AcdError *err);

/* Record that a caller set key itself (ACD_ERR_INVALID: no such key). Not
 * RT-safe. */
AcdStatus acd_config_mark(AcdConfig *cfg, const char *key, AcdOriginKind kind, unsigned line);

/* Where key's value came from; a default origin for unknown keys. Not
 * RT-safe. */
AcdOrigin acd_config_origin(const AcdConfig *cfg, const char *key);

/* The keys, in the file's order: i < acd_config_n_keys(). Not RT-safe. */
size_t acd_config_n_keys(void);
const char *acd_config_key(size_t i);

/* True when a and b hold the same value for every key (strings by
 * content). Not RT-safe. */
bool acd_config_equal(const AcdOptions *a, const AcdOptions *b);

/* The effective settings, in libconfig syntax that loads back, one key a
 * line with its origin ("# default", "# flag --tempo", "# FILE:LINE");
 * unset keys (no model, the sampler's temperature...) as comments.
 * Not RT-safe. */
void acd_config_print(const AcdConfig *cfg, const AcdOptions *o, FILE *f);

/* sizeof(AcdOptions) when the key table was last brought up to date: a test
 * compares it so that a new field cannot be forgotten here. */
#define ACD_CONFIG_OPTIONS_SIZE_KNOWN 416

#endif
