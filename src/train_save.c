/* Writing the trainer's weights through the model module, so the file is exactly what the loader
 * reads. */
#include "train_save.h"

#include <string.h>

AcdStatus acd_train_net_to_tensors(const AcdTrainNet *net, const AcdModelConfig *cfg,
                                   AcdModelTensors **out, AcdError *err)
{
    *out = NULL;
    AcdModelTensors *t = NULL;
    AcdStatus st = acd_model_tensors_new(cfg, &t, err);
    if (st)
        return st;
    const AcdModelConfig *c = acd_model_tensors_config(t);
    if (c->n_in != net->shape.n_in || c->n_out != net->shape.n_out) {
        acd_model_tensors_free(t);
        return acd_error_set(err, ACD_ERR_INVALID,
                             "model config (n_in %d, n_out %d) does not "
                             "match the network (%d, %d)",
                             c->n_in, c->n_out, net->shape.n_in, net->shape.n_out);
    }
    size_t want = acd_model_tensor_count(c);
    if (want != (size_t)net->n_tensors) {
        acd_model_tensors_free(t);
        return acd_error_set(err, ACD_ERR_INVALID, "model has %zu tensors, the network %d", want,
                             net->n_tensors);
    }
    for (int i = 0; i < net->n_tensors; i++) {
        const AcdTrainTensor *nt = &net->tensors[i];
        size_t n = 0, have = (size_t)nt->rows * (size_t)(nt->cols ? nt->cols : 1);
        float *dst = acd_model_tensors_find(t, nt->name, &n);
        if (!dst || n != have) {
            acd_model_tensors_free(t);
            return acd_error_set(err, ACD_ERR_INVALID,
                                 "tensor %s: %zu values in the model, %zu "
                                 "in the network",
                                 nt->name, n, have);
        }
        memcpy(dst, net->params + nt->offset, n * sizeof(float));
    }
    *out = t;
    return ACD_OK;
}

AcdStatus acd_train_save_model(const AcdTrainNet *net, const AcdModelConfig *cfg, const char *path,
                               AcdError *err)
{
    AcdModelTensors *t = NULL;
    AcdStatus st = acd_train_net_to_tensors(net, cfg, &t, err);
    if (!st)
        st = acd_model_tensors_save(t, path, err);
    acd_model_tensors_free(t);
    return st;
}
