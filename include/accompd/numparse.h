/* Strict number parsing for command-line options: the whole string, or an error. */
#ifndef ACCOMPD_NUMPARSE_H
#define ACCOMPD_NUMPARSE_H

#include <stdbool.h>

/* A base-10 integer filling all of s (no sign-only, no trailing text, no
 * overflow); false otherwise, *out untouched. RT-safe. */
bool acd_parse_long(const char *s, long *out);

/* A finite or infinite number by strtod filling all of s, not overflowing;
 * false otherwise, *out untouched. Callers check ranges (NaN fails every
 * `lo <= v && v <= hi`). RT-safe. */
bool acd_parse_double(const char *s, double *out);

#endif
