/* Small text files (CSV tables, beat lists): read whole, walk line by line. Internal. */
#ifndef ACCOMPD_TEXTFILE_H
#define ACCOMPD_TEXTFILE_H

#include <stddef.h>

#include "accompd/status.h"

/* Text inputs are tables of at most a few MB; refuse larger ones. */
#define ACD_TEXT_MAX_BYTES (256u << 20)

typedef struct {
    char *buf; /* the whole file, NUL-terminated, owned */
    size_t len;
    char *pos;      /* the next line */
    size_t line_no; /* of the line last returned, from 1 */
    const char *path;
} AcdTextFile;

/* Read path whole. path must outlive the reader (it names the file in messages). */
AcdStatus acd_text_open(AcdTextFile *tf, const char *path, AcdError *err);
void acd_text_close(AcdTextFile *tf);

/* The next line, NUL-terminated in place, without its "\n" or "\r\n"; NULL at
 * the end. */
char *acd_text_next_line(AcdTextFile *tf);

/* Split line in place at commas (no quoting: our tables have none) into at
 * most max fields; returns the number of fields found (more than max: max+1). */
size_t acd_text_split_csv(char *line, char **fields, size_t max);

/* Parse a whole field as a number; ACD_ERR_FORMAT with the file and line in
 * err when it is not one. */
AcdStatus acd_text_parse_double(const AcdTextFile *tf, const char *field, const char *what,
                                double *out, AcdError *err);
AcdStatus acd_text_parse_long(const AcdTextFile *tf, const char *field, const char *what, long *out,
                              AcdError *err);

#endif
