/* Small text files read whole and walked line by line, with line numbers for messages. */
#include "textfile.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

AcdStatus acd_text_open(AcdTextFile *tf, const char *path, AcdError *err)
{
    memset(tf, 0, sizeof *tf);
    tf->path = path;
    FILE *f = fopen(path, "rb");
    if (!f)
        return acd_error_set(err, ACD_ERR_IO, "%s: %s", path, strerror(errno));
    AcdStatus st = ACD_OK;
    size_t cap = 0;
    for (;;) {
        if (tf->len + 65536 + 1 > cap) {
            if (cap >= ACD_TEXT_MAX_BYTES) {
                st = acd_error_set(err, ACD_ERR_LIMIT, "%s: larger than %u bytes", path,
                                   ACD_TEXT_MAX_BYTES);
                goto fail;
            }
            size_t ncap = cap ? cap * 2 : 65536 * 2;
            char *nb = realloc(tf->buf, ncap);
            if (!nb) {
                st = acd_error_set(err, ACD_ERR_NOMEM, "%s: out of memory", path);
                goto fail;
            }
            tf->buf = nb;
            cap = ncap;
        }
        size_t got = fread(tf->buf + tf->len, 1, cap - tf->len - 1, f);
        tf->len += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        st = acd_error_set(err, ACD_ERR_IO, "%s: read error", path);
        goto fail;
    }
    fclose(f);
    tf->buf[tf->len] = '\0';
    if (memchr(tf->buf, '\0', tf->len)) {
        acd_text_close(tf);
        return acd_error_set(err, ACD_ERR_FORMAT, "%s: a NUL byte in a text file", path);
    }
    tf->pos = tf->buf;
    return ACD_OK;
fail:
    fclose(f);
    acd_text_close(tf);
    return st;
}

void acd_text_close(AcdTextFile *tf)
{
    free(tf->buf);
    tf->buf = NULL;
    tf->pos = NULL;
    tf->len = 0;
}

char *acd_text_next_line(AcdTextFile *tf)
{
    if (!tf->pos || tf->pos >= tf->buf + tf->len)
        return NULL;
    char *line = tf->pos;
    char *nl = strchr(line, '\n');
    if (nl) {
        *nl = '\0';
        tf->pos = nl + 1;
    } else {
        tf->pos = tf->buf + tf->len;
    }
    size_t l = strlen(line);
    if (l > 0 && line[l - 1] == '\r')
        line[l - 1] = '\0';
    tf->line_no++;
    return line;
}

size_t acd_text_split_csv(char *line, char **fields, size_t max)
{
    size_t n = 0;
    char *p = line;
    for (;;) {
        if (n == max)
            return max + 1;
        fields[n++] = p;
        char *c = strchr(p, ',');
        if (!c)
            return n;
        *c = '\0';
        p = c + 1;
    }
}

AcdStatus acd_text_parse_double(const AcdTextFile *tf, const char *field, const char *what,
                                double *out, AcdError *err)
{
    char *end;
    errno = 0;
    double v = strtod(field, &end);
    while (*end == ' ' || *end == '\t')
        end++;
    if (end == field || *end || errno || !isfinite(v))
        return acd_error_set(err, ACD_ERR_FORMAT, "%s:%zu: expected a number for %s, got '%.40s'",
                             tf->path, tf->line_no, what, field);
    *out = v;
    return ACD_OK;
}

AcdStatus acd_text_parse_long(const AcdTextFile *tf, const char *field, const char *what, long *out,
                              AcdError *err)
{
    char *end;
    errno = 0;
    long v = strtol(field, &end, 10);
    while (*end == ' ' || *end == '\t')
        end++;
    if (end == field || *end || errno)
        return acd_error_set(err, ACD_ERR_FORMAT, "%s:%zu: expected an integer for %s, got '%.40s'",
                             tf->path, tf->line_no, what, field);
    *out = v;
    return ACD_OK;
}
