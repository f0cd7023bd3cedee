/* Tests of status codes and error messages. */
#include <check.h>
#include <string.h>

#include "accompd/status.h"
#include "testutil.h"

START_TEST(every_status_has_text)
{
    for (int s = 0; s < ACD_N_STATUS; s++) {
        const char *t = acd_strerror((AcdStatus)s);
        ck_assert_ptr_nonnull(t);
        ck_assert_int_gt((int)strlen(t), 0);
    }
    ck_assert_str_eq(acd_strerror((AcdStatus)999), "unknown status");
}
END_TEST

START_TEST(error_set_and_prefix)
{
    AcdError err = {0};
    ck_assert_int_eq(acd_error_set(&err, ACD_ERR_FORMAT, "byte %d: bad", 12), ACD_ERR_FORMAT);
    acd_error_prefix(&err, "%s: ", "x.mid");
    ck_assert_str_eq(acd_error_text(&err), "x.mid: byte 12: bad");
    ck_assert_int_eq(err.status, ACD_ERR_FORMAT);
    ck_assert_int_eq(acd_error_set(NULL, ACD_ERR_IO, "ignored"), ACD_ERR_IO);
    AcdError empty = {.status = ACD_ERR_NOMEM};
    ck_assert_str_eq(acd_error_text(&empty), "out of memory");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("status");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, every_status_has_text);
    tcase_add_test(tc, error_set_and_prefix);
    suite_add_tcase(s, tc);
    return acd_test_run(s);
}
