/* Tests of the lock-free SPSC ring, including a two-thread stress test (run under TSan in CI). */
#include <check.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>

#include "accompd/ring.h"
#include "testutil.h"

typedef struct {
    uint64_t seq;
    uint64_t check; /* a function of seq, so a torn record is caught */
} Rec;

static uint64_t check_of(uint64_t seq)
{
    return seq * 0x9E3779B97F4A7C15ull ^ 0xA5A5A5A5u;
}

START_TEST(test_rejects_bad_sizes)
{
    AcdRing *r = (AcdRing *)1;
    ck_assert_int_eq(acd_ring_new(0, 8, &r), ACD_ERR_INVALID);
    ck_assert_ptr_null(r);
    ck_assert_int_eq(acd_ring_new(1, 8, &r), ACD_ERR_INVALID);
    ck_assert_int_eq(acd_ring_new(12, 8, &r), ACD_ERR_INVALID);
    ck_assert_int_eq(acd_ring_new(16, 0, &r), ACD_ERR_INVALID);
    ck_assert_int_eq(acd_ring_new((size_t)1 << 62, 64, &r), ACD_ERR_LIMIT);
    acd_ring_free(NULL);
}
END_TEST

START_TEST(test_fifo_full_empty)
{
    AcdRing *r;
    ck_assert_int_eq(acd_ring_new(4, sizeof(Rec), &r), ACD_OK);
    ck_assert_uint_eq(acd_ring_capacity(r), 4);
    ck_assert_uint_eq(acd_ring_write_space(r), 4);
    ck_assert_uint_eq(acd_ring_read_space(r), 0);
    Rec x;
    ck_assert_int_eq(acd_ring_read(r, &x), ACD_ERR_EMPTY);
    ck_assert_int_eq(acd_ring_peek(r, &x), ACD_ERR_EMPTY);
    for (uint64_t i = 0; i < 4; i++) {
        Rec w = {i, check_of(i)};
        ck_assert_int_eq(acd_ring_write(r, &w), ACD_OK);
    }
    Rec extra = {99, 0};
    ck_assert_int_eq(acd_ring_write(r, &extra), ACD_ERR_FULL);
    ck_assert_uint_eq(acd_ring_write_space(r), 0);
    ck_assert_uint_eq(acd_ring_read_space(r), 4);
    ck_assert_int_eq(acd_ring_peek(r, &x), ACD_OK);
    ck_assert_uint_eq(x.seq, 0);
    acd_ring_skip(r);
    for (uint64_t i = 1; i < 4; i++) {
        ck_assert_int_eq(acd_ring_read(r, &x), ACD_OK);
        ck_assert_uint_eq(x.seq, i);
        ck_assert_uint_eq(x.check, check_of(i));
    }
    ck_assert_int_eq(acd_ring_read(r, &x), ACD_ERR_EMPTY);
    acd_ring_skip(r); /* harmless when empty */
    ck_assert_uint_eq(acd_ring_read_space(r), 0);
    acd_ring_free(r);
}
END_TEST

START_TEST(test_wraps_many_times)
{
    AcdRing *r;
    ck_assert_int_eq(acd_ring_new(8, sizeof(Rec), &r), ACD_OK);
    uint64_t next_w = 0, next_r = 0;
    /* Uneven batches, so the indices cross the end at every possible offset. */
    for (int round = 0; round < 1000; round++) {
        int nw = round % 7 + 1;
        for (int i = 0; i < nw; i++) {
            Rec w = {next_w, check_of(next_w)};
            if (acd_ring_write(r, &w) == ACD_OK)
                next_w++;
        }
        int nr = round % 5 + 1;
        for (int i = 0; i < nr; i++) {
            Rec x;
            if (acd_ring_read(r, &x) != ACD_OK)
                break;
            ck_assert_uint_eq(x.seq, next_r);
            ck_assert_uint_eq(x.check, check_of(next_r));
            next_r++;
        }
        ck_assert_uint_eq(acd_ring_read_space(r) + acd_ring_write_space(r), 8);
    }
    ck_assert_uint_gt(next_r, 1000);
    acd_ring_reset(r);
    ck_assert_uint_eq(acd_ring_read_space(r), 0);
    acd_ring_free(r);
}
END_TEST

/* Enough to wrap the 64-slot ring ~3000 times, and quick under TSan. */
enum { STRESS_N = 200000 };

typedef struct {
    AcdRing *ring;
    uint64_t full; /* times the writer found the ring full */
} Stress;

static void *writer_main(void *arg)
{
    Stress *s = arg;
    for (uint64_t i = 0; i < STRESS_N;) {
        Rec w = {i, check_of(i)};
        if (acd_ring_write(s->ring, &w) == ACD_OK) {
            i++;
        } else {
            s->full++;
            sched_yield(); /* two cores may be shared with other tests */
        }
    }
    return NULL;
}

START_TEST(test_two_thread_stress)
{
    Stress s = {0};
    ck_assert_int_eq(acd_ring_new(64, sizeof(Rec), &s.ring), ACD_OK);
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, writer_main, &s), 0);
    uint64_t expect = 0;
    int bad = 0;
    while (expect < STRESS_N) {
        Rec x;
        if (acd_ring_read(s.ring, &x) != ACD_OK) {
            sched_yield();
            continue;
        }
        if (x.seq != expect || x.check != check_of(expect))
            bad++;
        expect++;
    }
    ck_assert_int_eq(pthread_join(th, NULL), 0);
    ck_assert_int_eq(bad, 0);
    ck_assert_uint_eq(acd_ring_read_space(s.ring), 0);
    acd_ring_free(s.ring);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("ring");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_rejects_bad_sizes);
    tcase_add_test(tc, test_fifo_full_empty);
    tcase_add_test(tc, test_wraps_many_times);
    tcase_add_test(tc, test_two_thread_stress);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return acd_test_run(make_suite());
}
