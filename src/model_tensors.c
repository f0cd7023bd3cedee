/* The set of tensors a model config requires, in PyTorch layout. */
#include "accompd/model.h"
#include "model_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t acd_model_tensor_count(const AcdModelConfig *cfg)
{
    return 4 * (size_t)(cfg->enc_layers + cfg->dec_layers) + 2;
}

bool acd_model_tensor_spec(const AcdModelConfig *cfg, size_t i, AcdTensorSpec *spec)
{
    size_t n_lstm = 4 * (size_t)(cfg->enc_layers + cfg->dec_layers);
    memset(spec, 0, sizeof *spec);
    if (i < n_lstm) {
        bool enc = i < 4 * (size_t)cfg->enc_layers;
        size_t j = enc ? i : i - 4 * (size_t)cfg->enc_layers;
        int layer = (int)(j / 4);
        size_t h = (size_t)(enc ? cfg->enc_hidden : cfg->dec_hidden);
        size_t in0 = enc ? (size_t)cfg->n_in : (size_t)(cfg->enc_hidden + cfg->n_out);
        static const char *const kind[4] = {"weight_ih", "weight_hh", "bias_ih", "bias_hh"};
        snprintf(spec->name, sizeof spec->name, "%s.%s_l%d", enc ? "encoder" : "decoder",
                 kind[j % 4], layer);
        spec->shape[0] = 4 * h;
        switch (j % 4) {
        case 0:
            spec->n_dims = 2;
            spec->shape[1] = layer == 0 ? in0 : h;
            break;
        case 1:
            spec->n_dims = 2;
            spec->shape[1] = h;
            break;
        default:
            spec->n_dims = 1;
            break;
        }
    } else if (i == n_lstm) {
        snprintf(spec->name, sizeof spec->name, "output.weight");
        spec->n_dims = 2;
        spec->shape[0] = (size_t)cfg->n_out;
        spec->shape[1] = (size_t)cfg->dec_hidden;
    } else if (i == n_lstm + 1) {
        snprintf(spec->name, sizeof spec->name, "output.bias");
        spec->n_dims = 1;
        spec->shape[0] = (size_t)cfg->n_out;
    } else {
        return false;
    }
    spec->n_elems = spec->shape[0] * (spec->n_dims == 2 ? spec->shape[1] : 1);
    return true;
}

AcdStatus acd_model_tensors_new(const AcdModelConfig *cfg, AcdModelTensors **out, AcdError *err)
{
    *out = NULL;
    AcdModelConfig c = *cfg;
    AcdStatus st = acd_model_config_check(&c, err);
    if (st != ACD_OK)
        return st;

    AcdModelTensors *t = calloc(1, sizeof *t);
    if (!t)
        goto nomem;
    t->cfg = c;
    t->n = acd_model_tensor_count(&c);
    t->specs = calloc(t->n, sizeof *t->specs);
    t->offset = calloc(t->n, sizeof *t->offset);
    if (!t->specs || !t->offset)
        goto nomem;
    for (size_t i = 0; i < t->n; i++) {
        bool ok = acd_model_tensor_spec(&c, i, &t->specs[i]);
        (void)ok;
        t->offset[i] = t->n_floats;
        t->n_floats += t->specs[i].n_elems;
    }
    t->data = calloc(t->n_floats, sizeof *t->data);
    if (!t->data)
        goto nomem;
    *out = t;
    return ACD_OK;

nomem:
    acd_model_tensors_free(t);
    return acd_error_set(err, ACD_ERR_NOMEM, "no memory for the model's tensors");
}

void acd_model_tensors_free(AcdModelTensors *t)
{
    if (!t)
        return;
    free(t->data);
    free(t->offset);
    free(t->specs);
    free(t);
}

const AcdModelConfig *acd_model_tensors_config(const AcdModelTensors *t)
{
    return &t->cfg;
}

long acd_model_tensors_index(const AcdModelTensors *t, const char *name)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->specs[i].name, name) == 0)
            return (long)i;
    return -1;
}

float *acd_model_tensors_find(AcdModelTensors *t, const char *name, size_t *n_elems)
{
    long i = acd_model_tensors_index(t, name);
    if (i < 0)
        return NULL;
    if (n_elems)
        *n_elems = t->specs[i].n_elems;
    return t->data + t->offset[i];
}

const float *acd_model_tensors_find_const(const AcdModelTensors *t, const char *name,
                                          size_t *n_elems)
{
    long i = acd_model_tensors_index(t, name);
    if (i < 0)
        return NULL;
    if (n_elems)
        *n_elems = t->specs[i].n_elems;
    return t->data + t->offset[i];
}
