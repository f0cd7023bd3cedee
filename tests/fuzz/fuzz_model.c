/* libFuzzer target for the model loader, with a save-and-load-back oracle and one inference step.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accompd/infer.h"
#include "accompd/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* abort() rather than return: libFuzzer records any abort as a crash with its reproducer. */
static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_model: %s\n", what);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    AcdModelTensors *t = NULL, *back = NULL;
    AcdModel *m = NULL;
    AcdInferState *s = NULL;
    float *x = NULL, *y = NULL, *z = NULL;
    AcdError err = {0};
    if (acd_model_tensors_load_memory(data, size, "fuzz.safetensors", &t, &err) != ACD_OK) {
        check(t == NULL, "failed load left tensors");
        check(strncmp(err.msg, "fuzz.safetensors: ", 18) == 0, "error does not name the file");
        return 0;
    }
    const AcdModelConfig *cfg = acd_model_tensors_config(t);
    /* Keep each input cheap: large accepted models are legal but slow. */
    if ((size_t)cfg->enc_hidden * (size_t)cfg->dec_hidden > 4096)
        goto done;

    check(acd_model_new(t, &m, &err) == ACD_OK, "valid tensors did not build a model");
    check(acd_infer_state_new(m, ACD_INFER_WINDOWED, &s, &err) == ACD_OK, "no state");
    x = calloc((size_t)cfg->n_in, sizeof *x);
    y = calloc((size_t)cfg->n_out, sizeof *y);
    z = calloc((size_t)cfg->n_out, sizeof *z);
    check(x && y && z, "calloc");
    x[0] = 1.0f;
    acd_infer_step(m, s, x, y, z);
    for (int i = 0; i < cfg->n_out; i++)
        check(!isnan(z[i]), "NaN logit from finite weights");

    /* Whatever loads must save and load back to the same numbers. */
    char path[] = "/tmp/fuzz_model_XXXXXX";
    int fd = mkstemp(path);
    check(fd >= 0, "mkstemp");
    close(fd);
    check(acd_model_tensors_save(t, path, &err) == ACD_OK, "save failed");
    check(acd_model_tensors_load(path, &back, &err) == ACD_OK, "saved file unreadable");
    unlink(path);
    for (size_t k = 0; acd_model_config_key(k); k++) {
        char a[128], b[128];
        const char *key = acd_model_config_key(k);
        bool ha = acd_model_config_format(cfg, key, a, sizeof a);
        bool hb = acd_model_config_format(acd_model_tensors_config(back), key, b, sizeof b);
        check(ha == hb && (!ha || strcmp(a, b) == 0), "config differs");
    }
    for (size_t i = 0; i < acd_model_tensor_count(cfg); i++) {
        AcdTensorSpec spec;
        check(acd_model_tensor_spec(cfg, i, &spec), "spec");
        size_t n1, n2;
        const float *a = acd_model_tensors_find_const(t, spec.name, &n1);
        const float *b = acd_model_tensors_find_const(back, spec.name, &n2);
        check(a && b && n1 == n2 && memcmp(a, b, n1 * sizeof *a) == 0, "tensor differs");
    }

done:
    free(x);
    free(y);
    free(z);
    acd_infer_state_free(s);
    acd_model_free(m);
    acd_model_tensors_free(back);
    acd_model_tensors_free(t);
    return 0;
}
