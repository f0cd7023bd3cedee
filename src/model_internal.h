/* Model internals shared by the model_*.c files (not a public API). */
#ifndef ACCOMPD_MODEL_INTERNAL_H
#define ACCOMPD_MODEL_INTERNAL_H

#include <stddef.h>

#include "accompd/model.h"

/* The tensor set: specs and one block of F32 data in PyTorch layout. */
struct AcdModelTensors {
    AcdModelConfig cfg;
    size_t n;
    AcdTensorSpec *specs;
    size_t *offset; /* of tensor i in data, in floats */
    float *data;
    size_t n_floats;
};

/* Index of the named tensor in t, or -1. */
long acd_model_tensors_index(const AcdModelTensors *t, const char *name);

/* Largest JSON header the loader reads: real ones are a few kB. */
#define ACD_SAFETENSORS_MAX_HEADER (16u << 20)

#endif
