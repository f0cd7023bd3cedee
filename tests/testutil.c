/* Helpers shared by the Check tests. */
#include "testutil.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

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

char *acd_test_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    size_t cap = 1 << 16, n = 0, got;
    char *buf = malloc(cap);
    ck_assert_ptr_nonnull(buf);
    while ((got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (n + 1 == cap) {
            buf = realloc(buf, cap *= 2);
            ck_assert_ptr_nonnull(buf);
        }
    }
    buf[n] = '\0';
    fclose(f);
    if (len)
        *len = n;
    return buf;
}

int acd_test_accomp(const char *prefix, const char *args, const char *out_path,
                    const char *err_path)
{
    const char *accomp = getenv("ACD_ACCOMP");
    ck_assert_msg(accomp != NULL, "ACD_ACCOMP is not set");
    size_t len =
        strlen(prefix) + strlen(accomp) + strlen(args) + strlen(out_path) + strlen(err_path) + 32;
    char *cmd = malloc(len);
    ck_assert_ptr_nonnull(cmd);
    snprintf(cmd, len, "%s '%s' %s >%s 2>%s", prefix, accomp, args, out_path, err_path);
    int rc = system(cmd);
    free(cmd);
    ck_assert(rc != -1 && WIFEXITED(rc));
    return WEXITSTATUS(rc);
}
