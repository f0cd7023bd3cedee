/* The configuration key table and the integer-literal check shared by config*.c. Internal. */
#ifndef ACCOMPD_CONFIG_INTERNAL_H
#define ACCOMPD_CONFIG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* The C type behind a key. */
typedef enum {
    KEY_STRING, /* const char * */
    KEY_LIST,   /* const char *[ACD_OPTIONS_MAX_PATTERNS + 1], NULL-terminated */
    KEY_DOUBLE, /* double */
    KEY_INT,    /* int */
    KEY_SIZE,   /* size_t */
    KEY_U64,    /* uint64_t */
    KEY_BOOL,   /* bool */
    KEY_COUNT,  /* int, a repeatable flag without a value (-v) */
} KeyKind;

#define KEY_POW2     1u /* a power of two */
#define KEY_NONEMPTY 2u /* a string that must not be empty */

typedef struct {
    const char *name; /* in the file */
    const char *flag; /* on the command line, without "--" */
    KeyKind kind;
    size_t offset;     /* in AcdOptions */
    double lo, hi;     /* numbers: the range; a default below lo means "unset" */
    unsigned attrs;    /* KEY_* */
    const char *unset; /* what an unset value means, for --print-config */
} Key;

extern const Key acd_config_keys[];
extern const size_t acd_config_n_keys_;

/* The key named name, or NULL. */
const Key *acd_config_key_find(const char *name);

/* Index of k in the table. */
size_t acd_config_key_index(const Key *k);

/* The key's field in o. */
void *acd_config_field(AcdOptions *o, const Key *k);
const void *acd_config_field_const(const AcdOptions *o, const Key *k);

/* True when a and b hold the same value for k. */
bool acd_config_key_equal(const AcdOptions *a, const AcdOptions *b, const Key *k);

/* The literal text that the top-level setting `name` is given in text
 * (a libconfig file without @include), e.g. "4294967297" or "0xFFL"; false
 * when not found. libconfig wraps integers that do not fit silently, so
 * the loader parses the literal itself. */
bool acd_config_literal(const char *text, const char *name, char *lit, size_t cap);

/* Parse a libconfig integer literal exactly: [-+]digits or 0xHEX, with an
 * optional L/LL suffix. *overflow when it does not fit int64. False when
 * lit is not an integer literal. */
bool acd_config_parse_int(const char *lit, int64_t *value, bool *overflow);

/* Line of the first "@include" directive or NUL byte in text[0..len), 0
 * if none; *what says which. */
unsigned acd_config_forbidden(const char *text, size_t len, const char **what);

/* Line of a string literal left open at the end of text, 0 if none:
 * libconfig says "syntax error" on the last line; this names the line
 * where the string starts. */
unsigned acd_config_unterminated(const char *text);

#endif
