/* The sd_notify protocol: one datagram of "KEY=value" lines to $NOTIFY_SOCKET. */
#include "accompd/notify.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* Protocol text is short; systemd itself caps a message at a few KB. */
#define NOTIFY_MAX 1024

AcdStatus acd_notify(const char *state, AcdError *err)
{
    const char *name = getenv("NOTIFY_SOCKET");
    if (!name || !*name)
        return ACD_OK;
    if (name[0] != '/' && name[0] != '@')
        return acd_error_set(err, ACD_ERR_UNSUPPORTED,
                             "NOTIFY_SOCKET=%s: only paths and @abstract sockets are supported",
                             name);
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    size_t len = strlen(name);
    if (len >= sizeof sa.sun_path)
        return acd_error_set(err, ACD_ERR_LIMIT, "NOTIFY_SOCKET=%s: name too long", name);
    memcpy(sa.sun_path, name, len);
    if (name[0] == '@')
        sa.sun_path[0] = '\0'; /* abstract: the name is the bytes after the NUL, unterminated */
    else
        len++; /* a path: count its NUL, as sd_notify does */
    socklen_t sa_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);

    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return acd_error_set(err, ACD_ERR_IO, "notify socket: %s", strerror(errno));
    AcdStatus st = ACD_OK;
    size_t n = strlen(state);
    ssize_t sent;
    do
        sent = sendto(fd, state, n, MSG_NOSIGNAL, (const struct sockaddr *)&sa, sa_len);
    while (sent < 0 && errno == EINTR);
    if (sent < 0)
        st = acd_error_set(err, ACD_ERR_IO, "NOTIFY_SOCKET=%s: %s", name, strerror(errno));
    else if ((size_t)sent != n)
        st = acd_error_set(err, ACD_ERR_IO, "NOTIFY_SOCKET=%s: short send", name);
    close(fd);
    return st;
}

AcdStatus acd_notify_ready(const char *status, AcdError *err)
{
    char msg[NOTIFY_MAX];
    if (status)
        snprintf(msg, sizeof msg, "READY=1\nSTATUS=%s", status);
    else
        snprintf(msg, sizeof msg, "READY=1");
    return acd_notify(msg, err);
}

AcdStatus acd_notify_status(AcdError *err, const char *fmt, ...)
{
    char msg[NOTIFY_MAX];
    int head = snprintf(msg, sizeof msg, "STATUS=");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg + head, sizeof msg - (size_t)head, fmt, ap);
    va_end(ap);
    /* One assignment: a newline in the text would start another. */
    for (char *p = msg; *p; p++)
        if (*p == '\n')
            *p = ' ';
    return acd_notify(msg, err);
}

AcdStatus acd_notify_reloading(AcdError *err)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    char msg[96];
    snprintf(msg, sizeof msg, "RELOADING=1\nMONOTONIC_USEC=%llu",
             (unsigned long long)ts.tv_sec * 1000000ull + (unsigned long long)ts.tv_nsec / 1000);
    return acd_notify(msg, err);
}

AcdStatus acd_notify_stopping(AcdError *err)
{
    return acd_notify("STOPPING=1", err);
}
