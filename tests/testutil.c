/* Helpers shared by the Check tests. */
#include "testutil.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

const char *acd_test_src(const char *rel)
{
    static char buf[4096];
    const char *root = getenv("ACD_SRCDIR");
    snprintf(buf, sizeof buf, "%s/%s", root ? root : ".", rel);
    return buf;
}

const char *acd_test_data(const char *rel)
{
    static char buf[4096];
    const char *root = getenv("ACD_DATADIR");
    struct stat st;
    if (!root || stat(root, &st) != 0 || !S_ISDIR(st.st_mode))
        return NULL;
    snprintf(buf, sizeof buf, "%s/%s", root, rel);
    return buf;
}

int acd_test_run(void *suite)
{
    SRunner *sr = srunner_create((Suite *)suite);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
