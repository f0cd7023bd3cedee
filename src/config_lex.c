/* Reading integer literals back from a libconfig text, which libconfig 1.5 wraps silently. */
#include <ctype.h>
#include <stdint.h>
#include <string.h>

#include "config_internal.h"

/* Whitespace and the three comment forms libconfig knows. */
static const char *skip_space(const char *p)
{
    for (;;) {
        if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n' || *p == '\f' || *p == '\v') {
            p++;
        } else if (*p == '#' || (p[0] == '/' && p[1] == '/')) {
            while (*p && *p != '\n')
                p++;
        } else if (p[0] == '/' && p[1] == '*') {
            p += 2;
            while (*p && !(p[0] == '*' && p[1] == '/'))
                p++;
            if (*p)
                p += 2;
        } else {
            return p;
        }
    }
}

static const char *skip_string(const char *p)
{
    for (p++; *p && *p != '"'; p++)
        if (*p == '\\' && p[1])
            p++;
    return *p ? p + 1 : p;
}

static int is_name_start(char c)
{
    return isalpha((unsigned char)c) || c == '*';
}

static int is_name_char(char c)
{
    return isalnum((unsigned char)c) || c == '-' || c == '_' || c == '*';
}

static int is_number_char(char c)
{
    return isalnum((unsigned char)c) || c == '.' || c == '+' || c == '-';
}

bool acd_config_literal(const char *text, const char *name, char *lit, size_t cap)
{
    size_t name_len = strlen(name);
    int depth = 0;
    const char *p = text;
    if (cap < 8)
        return false;
    while (*(p = skip_space(p))) {
        char c = *p;
        if (c == '"') {
            p = skip_string(p);
        } else if (c == '{' || c == '[' || c == '(') {
            depth++;
            p++;
        } else if (c == '}' || c == ']' || c == ')') {
            depth--;
            p++;
        } else if (is_name_start(c)) {
            const char *start = p;
            while (is_name_char(*p))
                p++;
            if (depth != 0 || (size_t)(p - start) != name_len || memcmp(start, name, name_len))
                continue;
            const char *q = skip_space(p);
            if (*q != '=' && *q != ':')
                continue;
            q = skip_space(q + 1);
            size_t n = 0;
            while (is_number_char(q[n]))
                n++;
            if (n == 0)
                return false;
            if (n < cap) {
                memcpy(lit, q, n);
                lit[n] = '\0';
            } else { /* too long to be any integer we accept: keep a readable head */
                memcpy(lit, q, cap - 4);
                memcpy(lit + cap - 4, "...", 4);
            }
            return true;
        } else if (isdigit((unsigned char)c) || c == '-' || c == '+' || c == '.') {
            while (is_number_char(*p))
                p++;
        } else {
            p++;
        }
    }
    return false;
}

bool acd_config_parse_int(const char *lit, int64_t *value, bool *overflow)
{
    const char *p = lit;
    bool neg = false, over = false;
    if (*p == '+' || *p == '-')
        neg = *p++ == '-';
    unsigned base = 10;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
    }
    uint64_t v = 0;
    int digits = 0;
    for (; isxdigit((unsigned char)*p); p++, digits++) {
        unsigned d;
        if (isdigit((unsigned char)*p))
            d = (unsigned)(*p - '0');
        else if (base == 16)
            d = (unsigned)(tolower((unsigned char)*p) - 'a' + 10);
        else
            break;
        if (v > (UINT64_MAX - d) / base)
            over = true;
        else
            v = v * base + d;
    }
    if (digits == 0)
        return false;
    if (*p == 'L' && *++p == 'L')
        p++;
    if (*p)
        return false;
    if (!over && neg && v > (uint64_t)INT64_MAX + 1)
        over = true;
    if (!over && !neg && v > (uint64_t)INT64_MAX)
        over = true;
    if (!over)
        *value = neg ? (int64_t)(0 - v) : (int64_t)v;
    *overflow = over;
    return true;
}

unsigned acd_config_forbidden(const char *text, size_t len, const char **what)
{
    static const char include[] = "@include";
    unsigned line = 1;
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '\0') {
            *what = "NUL byte in a text file";
            return line;
        }
        /* Anywhere, even in a comment: refusing is simpler than agreeing
         * with libconfig's scanner on what is a comment. */
        if (text[i] == '@' && len - i >= sizeof include - 1 &&
            memcmp(text + i, include, sizeof include - 1) == 0) {
            *what = "@include is not supported";
            return line;
        }
        if (text[i] == '\n')
            line++;
    }
    return 0;
}

static unsigned line_at(const char *text, const char *p)
{
    unsigned line = 1;
    for (; text < p; text++)
        line += *text == '\n';
    return line;
}

unsigned acd_config_unterminated(const char *text)
{
    const char *p = text;
    while (*(p = skip_space(p))) {
        if (*p != '"') {
            p++;
            continue;
        }
        const char *open = p;
        for (p++; *p && *p != '"'; p++)
            if (*p == '\\' && p[1])
                p++;
        if (!*p)
            return line_at(text, open);
        p++;
    }
    return 0;
}
