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

/* Run the suite built by make_suite; returns the process exit status. */
int acd_test_run(void *suite);

#endif
