/* Telling systemd about readiness and status: the sd_notify datagram protocol, without libsystemd.
 */
#ifndef ACCOMPD_NOTIFY_H
#define ACCOMPD_NOTIFY_H

#include "accompd/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Send state, newline-separated "KEY=value" assignments such as
 * "READY=1\nSTATUS=playing", in one datagram to the AF_UNIX socket named by
 * $NOTIFY_SOCKET (a path, or "@name" for an abstract socket), as systemd's
 * sd_notify(3) does. When NOTIFY_SOCKET is unset or empty (not started by
 * systemd with Type=notify) it does nothing and returns ACD_OK. Errors:
 * ACD_ERR_UNSUPPORTED for other address kinds (vsock), ACD_ERR_LIMIT for
 * a name too long, ACD_ERR_IO when sending fails. Not RT-safe. */
AcdStatus acd_notify(const char *state, AcdError *err);

/* "READY=1" with "STATUS=status" (status may be NULL): start-up is done.
 * Also sent after a reload. Not RT-safe. */
AcdStatus acd_notify_ready(const char *status, AcdError *err);

/* "STATUS=..." alone, printf-style: the one-line state `systemctl status`
 * shows. Not RT-safe. */
AcdStatus acd_notify_status(AcdError *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* "RELOADING=1" with "MONOTONIC_USEC=now", as Type=notify-reload wants;
 * follow with acd_notify_ready() when the reload is done. Not RT-safe. */
AcdStatus acd_notify_reloading(AcdError *err);

/* "STOPPING=1": shutdown has begun. Not RT-safe. */
AcdStatus acd_notify_stopping(AcdError *err);

#ifdef __cplusplus
}
#endif

#endif
