/* Terse daemon logging: one event a line, one write(2) a line, syslog prefixes for journald. */
#include "accompd/log.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static atomic_int log_fd = 2;
static atomic_int log_max = ACD_LOG_INFO;
static atomic_bool log_journal = false;
static char log_ident[32] = "accompd"; /* written only by acd_log_init, before threads */

static const char *const level_names[] = {"error", "warning", "notice", "info", "debug"};

const char *acd_log_level_name(AcdLogLevel level)
{
    if (level < ACD_LOG_ERROR || level > ACD_LOG_DEBUG)
        return NULL;
    return level_names[level - ACD_LOG_ERROR];
}

AcdStatus acd_log_level_parse(const char *name, AcdLogLevel *out)
{
    for (int l = ACD_LOG_ERROR; l <= ACD_LOG_DEBUG; l++) {
        if (strcmp(name, level_names[l - ACD_LOG_ERROR]) == 0) {
            *out = (AcdLogLevel)l;
            return ACD_OK;
        }
    }
    return acd_error_set(NULL, ACD_ERR_INVALID, "no log level %s", name);
}

/* systemd sets JOURNAL_STREAM=DEV:INO for the stream it connected; fd
 * goes to the journal only if it is still that stream (not redirected). */
static bool is_journal(int fd)
{
    const char *js = getenv("JOURNAL_STREAM");
    if (!js || !*js)
        return false;
    char *end;
    unsigned long long dev = strtoull(js, &end, 10);
    if (end == js || *end != ':')
        return false;
    const char *ino_text = end + 1;
    unsigned long long ino = strtoull(ino_text, &end, 10);
    if (end == ino_text || *end)
        return false;
    struct stat sb;
    return fstat(fd, &sb) == 0 && (unsigned long long)sb.st_dev == dev &&
           (unsigned long long)sb.st_ino == ino;
}

void acd_log_init(int fd, const char *ident)
{
    snprintf(log_ident, sizeof log_ident, "%s", ident ? ident : "accompd");
    atomic_store(&log_fd, fd);
    atomic_store(&log_journal, is_journal(fd));
}

void acd_log_set_level(AcdLogLevel max)
{
    atomic_store(&log_max, (int)max);
}

AcdLogLevel acd_log_level(void)
{
    return (AcdLogLevel)atomic_load(&log_max);
}

bool acd_log_to_journal(void)
{
    return atomic_load(&log_journal);
}

static void write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return; /* nowhere to report a failure to log */
        buf += n;
        len -= (size_t)n;
    }
}

void acd_log_v(AcdLogLevel level, const char *fmt, va_list ap)
{
    if (level < ACD_LOG_ERROR)
        level = ACD_LOG_ERROR;
    if (level > ACD_LOG_DEBUG)
        level = ACD_LOG_DEBUG;
    if ((int)level > atomic_load(&log_max))
        return;
    int saved = errno;
    char line[ACD_LOG_LINE_MAX];
    int head;
    if (atomic_load(&log_journal)) /* journald knows the unit's name and reads the level */
        head = snprintf(line, sizeof line, "<%d>", (int)level);
    else
        head = snprintf(line, sizeof line, "%s: %s: ", log_ident, acd_log_level_name(level));
    /* Room for the text and the newline. */
    size_t room = sizeof line - (size_t)head - 1;
    int n = vsnprintf(line + head, room + 1, fmt, ap);
    size_t len = n < 0 ? 0 : (size_t)n;
    if (len > room) {
        len = room;
        memcpy(line + head + len - 3, "...", 3);
    }
    for (size_t i = (size_t)head; i < (size_t)head + len; i++)
        if ((unsigned char)line[i] < 0x20 && line[i] != '\t')
            line[i] = ' ';
    line[(size_t)head + len] = '\n';
    write_all(atomic_load(&log_fd), line, (size_t)head + len + 1);
    errno = saved;
}

void acd_log(AcdLogLevel level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    acd_log_v(level, fmt, ap);
    va_end(ap);
}
