/* Status codes and error messages shared by every module. */
#ifndef ACCOMPD_STATUS_H
#define ACCOMPD_STATUS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Every function that can fail returns one of these. */
typedef enum {
    ACD_OK = 0,
    ACD_ERR_NOMEM,       /* allocation failed */
    ACD_ERR_IO,          /* open, read or write failed (see errno text in AcdError) */
    ACD_ERR_FORMAT,      /* malformed input: MIDI, model, config, CSV */
    ACD_ERR_UNSUPPORTED, /* well-formed but not handled (e.g. SMF format 2) */
    ACD_ERR_INVALID,     /* bad argument or option */
    ACD_ERR_RANGE,       /* value out of its allowed range */
    ACD_ERR_LIMIT,       /* input exceeds a documented size limit */
    ACD_ERR_NO_MELODY,   /* a song without a usable melody */
    ACD_ERR_FULL,        /* a ring or buffer has no room */
    ACD_ERR_EMPTY,       /* nothing to read */
    ACD_ERR_BACKEND,     /* JACK or ALSA refused */
    ACD_N_STATUS
} AcdStatus;

/* A short, static description of a status. Never NULL. RT-safe. */
const char *acd_strerror(AcdStatus st);

/* A detailed message written by the function that failed: which file, which
 * byte or line, what was expected. Callers own the storage (often on the
 * stack); functions accept NULL when the caller does not want details. */
typedef struct {
    AcdStatus status;
    char msg[512];
} AcdError;

/* Record st and a printf-style message in err (if err is not NULL), and
 * return st, so that `return acd_error_set(err, ACD_ERR_FORMAT, ...);` reads
 * naturally. The message of an earlier failure is replaced. Not RT-safe. */
AcdStatus acd_error_set(AcdError *err, AcdStatus st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefix the message in err with a printf-style context ("song.mid: ").
 * Not RT-safe. */
void acd_error_prefix(AcdError *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The message, or the status text when no message was set. */
const char *acd_error_text(const AcdError *err);

#ifdef __cplusplus
}
#endif

#endif
