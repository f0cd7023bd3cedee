/* Status codes and error messages. */
#include "accompd/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const status_text[ACD_N_STATUS] = {
    [ACD_OK] = "success",
    [ACD_ERR_NOMEM] = "out of memory",
    [ACD_ERR_IO] = "input/output error",
    [ACD_ERR_FORMAT] = "malformed input",
    [ACD_ERR_UNSUPPORTED] = "unsupported input",
    [ACD_ERR_INVALID] = "invalid argument",
    [ACD_ERR_RANGE] = "value out of range",
    [ACD_ERR_LIMIT] = "input exceeds a size limit",
    [ACD_ERR_NO_MELODY] = "no usable melody",
    [ACD_ERR_FULL] = "no room",
    [ACD_ERR_EMPTY] = "nothing to read",
    [ACD_ERR_BACKEND] = "audio backend error",
};

const char *acd_strerror(AcdStatus st)
{
    if ((unsigned)st >= ACD_N_STATUS)
        return "unknown status";
    return status_text[st];
}

AcdStatus acd_error_set(AcdError *err, AcdStatus st, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->status = st;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return st;
}

void acd_error_prefix(AcdError *err, const char *fmt, ...)
{
    if (!err)
        return;
    char prefix[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    if (n <= 0)
        return;
    size_t plen = strlen(prefix);
    size_t cap = sizeof err->msg;
    size_t mlen = strnlen(err->msg, cap - 1);
    /* Shift the old message right, truncating its tail if it no longer fits. */
    if (plen + mlen > cap - 1)
        mlen = cap - 1 - plen;
    memmove(err->msg + plen, err->msg, mlen);
    memcpy(err->msg, prefix, plen);
    err->msg[plen + mlen] = '\0';
}

const char *acd_error_text(const AcdError *err)
{
    if (!err)
        return "unknown error";
    if (err->msg[0])
        return err->msg;
    return acd_strerror(err->status);
}
