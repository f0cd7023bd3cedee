/* Helpers shared by the Check tests: where fixtures live. */
#ifndef ACCOMPD_TESTUTIL_H
#define ACCOMPD_TESTUTIL_H

#include <stddef.h>

/* Path of a file under the source tree (ACD_SRCDIR), e.g. "tests/data/x.mid".
 * Returns a static buffer, valid until the next call. */
const char *acd_test_src(const char *rel);

/* Path under the shared data directory (ACD_DATADIR), or NULL when that
 * directory does not exist (tests that need it then skip, saying so). */
const char *acd_test_data(const char *rel);

/* The whole file at path, NUL-terminated, malloc'd; *len (may be NULL)
 * receives its length. Fails the test when it cannot be read. */
char *acd_test_slurp(const char *path, size_t *len);

/* Run `PREFIX '$ACD_ACCOMP' ARGS >OUT 2>ERR` through the shell (args already
 * quoted; prefix may be ""), and return its exit status. Fails the test when
 * ACD_ACCOMP is unset or the command did not exit normally. */
int acd_test_accomp(const char *prefix, const char *args, const char *out_path,
                    const char *err_path);

/* Run the suite built by make_suite; returns the process exit status. */
int acd_test_run(void *suite);

#endif
