/* Terse daemon logging: one event a line, with a level; journald-aware. Not for the realtime
 * thread. */
#ifndef ACCOMPD_LOG_H
#define ACCOMPD_LOG_H

#include <stdarg.h>
#include <stdbool.h>

#include "accompd/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The syslog priorities of <syslog.h>, which journald reads from a "<N>"
 * line prefix. */
typedef enum {
    ACD_LOG_ERROR = 3,
    ACD_LOG_WARNING = 4,
    ACD_LOG_NOTICE = 5,
    ACD_LOG_INFO = 6,
    ACD_LOG_DEBUG = 7,
} AcdLogLevel;

/* Longest line written, newline included; longer messages are cut and end
 * in "...". Below PIPE_BUF, so that each line reaches a pipe whole. */
#define ACD_LOG_LINE_MAX 1024

/* Send lines to fd (normally 2) under the name ident (copied, at most 31
 * bytes). When $JOURNAL_STREAM names fd's device and inode (systemd
 * connected it to the journal), lines are "<4>text"; otherwise
 * "ident: warning: text". Call before other threads log. Without it:
 * fd 2, "accompd", not the journal. Not RT-safe. */
void acd_log_init(int fd, const char *ident);

/* Lines above max are dropped (default ACD_LOG_INFO). Any thread. Not
 * RT-safe. */
void acd_log_set_level(AcdLogLevel max);
AcdLogLevel acd_log_level(void);

/* True when acd_log_init found fd connected to the journal. */
bool acd_log_to_journal(void);

/* "error", "warning", "notice", "info", "debug"; NULL for other values. */
const char *acd_log_level_name(AcdLogLevel level);

/* The level named name (as above); ACD_ERR_INVALID otherwise. */
AcdStatus acd_log_level_parse(const char *name, AcdLogLevel *out);

/* Log one event. Newlines and control characters in the text become
 * spaces (one event, one line); the line goes out in a single write(2), so
 * threads never interleave within a line. errno is preserved.
 * Not RT-safe: it formats and makes a blocking system call; never call it
 * from the JACK process callback (count there, log from the main thread). */
void acd_log(AcdLogLevel level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void acd_log_v(AcdLogLevel level, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

#define acd_log_error(...)   acd_log(ACD_LOG_ERROR, __VA_ARGS__)
#define acd_log_warning(...) acd_log(ACD_LOG_WARNING, __VA_ARGS__)
#define acd_log_notice(...)  acd_log(ACD_LOG_NOTICE, __VA_ARGS__)
#define acd_log_info(...)    acd_log(ACD_LOG_INFO, __VA_ARGS__)
#define acd_log_debug(...)   acd_log(ACD_LOG_DEBUG, __VA_ARGS__)

#ifdef __cplusplus
}
#endif

#endif
