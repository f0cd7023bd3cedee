/* Proof that inference and sampling never allocate after setup: malloc and friends wrapped by the
 * linker. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "accompd/features.h"
#include "accompd/infer.h"
#include "accompd/model.h"
#include "accompd/sampler.h"
#include "testutil.h"

/* Linked with -Wl,--wrap=<fn> for each of these (tests/meson.build), so
 * every call from the core library and this file lands here first. */
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
void *__real_aligned_alloc(size_t a, size_t n);
int __real_posix_memalign(void **p, size_t a, size_t n);
void __real_free(void *p);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t m);
void *__wrap_realloc(void *p, size_t n);
void *__wrap_aligned_alloc(size_t a, size_t n);
int __wrap_posix_memalign(void **p, size_t a, size_t n);
void __wrap_free(void *p);

static long n_calls;

void *__wrap_malloc(size_t n)
{
    n_calls++;
    return __real_malloc(n);
}
void *__wrap_calloc(size_t n, size_t m)
{
    n_calls++;
    return __real_calloc(n, m);
}
void *__wrap_realloc(void *p, size_t n)
{
    n_calls++;
    return __real_realloc(p, n);
}
void *__wrap_aligned_alloc(size_t a, size_t n)
{
    n_calls++;
    return __real_aligned_alloc(a, n);
}
int __wrap_posix_memalign(void **p, size_t a, size_t n)
{
    n_calls++;
    return __real_posix_memalign(p, a, n);
}
void __wrap_free(void *p)
{
    if (p)
        n_calls++;
    __real_free(p);
}

/* The sampler's per-step calls, greedy and sampling, through a
 * reconfiguration and a reset: the engine makes all of them on its
 * inference thread. */
START_TEST(sampler_never_allocates)
{
    AcdSamplerConfig cfg;
    acd_sampler_config_default(&cfg, 64, 28, ACD_SAMPLER_ROLL_ONSET_HOLD);
    AcdSampler *smp = NULL;
    AcdError err = {0};
    ck_assert_int_eq(acd_sampler_new(&cfg, &smp, &err), ACD_OK);
    float z[128], y[128];
    AcdNoteFrame frame, prev;
    memset(&prev, 0, sizeof prev);
    AcdNoteEvent ev[ACD_SAMPLER_MAX_EVENTS];

    /* Check's asserts allocate themselves, so results are checked after. */
    int bad = 0;
    long before = n_calls;
    for (int t = 0; t < 600; t++) {
        for (int i = 0; i < 128; i++)
            z[i] = (float)((i * 37 + t * 11) % 29 - 14) * 0.3f;
        if (t == 200 || t == 400) {
            cfg.temperature = t == 200 ? 1.0f : 0.5f;
            cfg.max_poly = t == 200 ? 4 : 0;
            bad += acd_sampler_configure(smp, &cfg, &err) != ACD_OK;
        }
        if (t == 300)
            acd_sampler_reset(smp);
        acd_sampler_step(smp, z, &frame, y);
        acd_sampler_diff(&prev, &frame, 64, 28, ev, ACD_SAMPLER_MAX_EVENTS);
        prev = frame;
    }
    ck_assert_int_eq(n_calls, before);
    ck_assert_int_eq(bad, 0);
    acd_sampler_free(smp);
}
END_TEST

START_TEST(step_and_reset_never_allocate)
{
    AcdModel *m = NULL;
    AcdError err = {0};
    long before_load = n_calls;
    ck_assert_msg(acd_model_load(acd_test_src("tests/ref/tiny.safetensors"), &m, &err) == ACD_OK,
                  "%s", err.msg);
    /* The wrapper is live: loading allocates. */
    ck_assert_int_gt(n_calls, before_load);
    const AcdModelConfig *c = acd_model_config(m);
    AcdInferState *s = NULL;
    ck_assert_int_eq(acd_infer_state_new(m, ACD_INFER_WINDOWED, &s, &err), ACD_OK);
    float x[64] = {0}, y[64] = {0}, z[64];
    uint8_t on[16] = {0}, ho[16] = {0};
    ck_assert_int_le(c->n_in, 64);
    AcdFeatureState fs;

    long before = n_calls;
    acd_features_init(&fs);
    for (int t = 0; t < 500; t++) {
        on[t % c->p_mel] = 1;
        acd_features_step(c, &fs, on, ho, t % c->steps_per_beat, t / 4 % 4, x);
        acd_infer_step(m, s, x, y, z);
        on[t % c->p_mel] = 0;
        y[t % c->n_out] = z[0] > 0.0f ? 1.0f : 0.0f;
        if (t == 250)
            acd_infer_reset(s);
    }
    ck_assert_int_eq(n_calls, before);

    acd_infer_state_free(s);
    acd_model_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("model_noalloc");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, step_and_reset_never_allocate);
    tcase_add_test(tc, sampler_never_allocates);
    suite_add_tcase(s, tc);
    return acd_test_run(s);
}
