/* The LSTM encoder-decoder: hyper-parameters, weights in PyTorch layout, the loaded model. */
#ifndef ACCOMPD_MODEL_H
#define ACCOMPD_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include "accompd/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Version of the file layout, metadata key "accompd.version". */
#define ACD_MODEL_VERSION 1

/* Limits the loader enforces, so that a hostile file cannot ask for
 * gigabytes or overflow a size computation. */
#define ACD_MODEL_MAX_HIDDEN         2048
#define ACD_MODEL_MAX_LAYERS         8
#define ACD_MODEL_MAX_WINDOW         100000
#define ACD_MODEL_MAX_COPIES         16 /* window / hop */
#define ACD_MODEL_MAX_STEPS_PER_BEAT 48
#define ACD_MODEL_MAX_BEATS_PER_BAR  32
#define ACD_MODEL_MAX_POLY           128 /* the sampler's pitches */

typedef enum {
    ACD_ROLL_ONSET_HOLD = 0, /* two bits per pitch: onset, hold */
    ACD_ROLL_ONOFF = 1,      /* one bit per pitch: sounds (the seed configuration) */
} AcdRollKind;

/* Blocks of x_t besides the melody roll (metadata key "features"). */
enum {
    ACD_FEAT_STEP_IN_BEAT = 1u << 0,
    ACD_FEAT_BEAT_IN_BAR = 1u << 1,
    ACD_FEAT_PC_HIST = 1u << 2,
    ACD_FEAT_ALL = 7u,
};

/* Every hyper-parameter of models/README.md. The fields above `n_in` are
 * stored in the file; the ones from `n_in` on are derived by
 * acd_model_config_check(). */
typedef struct {
    int version;
    AcdRollKind roll;
    int mel_lo, mel_hi; /* MIDI pitches, inclusive */
    int acc_lo, acc_hi;
    int steps_per_beat;
    int beats_per_bar_max;
    unsigned features; /* ACD_FEAT_* bits */
    float pc_decay;
    int enc_hidden, enc_layers;
    int dec_hidden, dec_layers;
    int window; /* training window, steps */
    int hop;    /* run-time re-encode hop, steps; divides window */
    bool has_thresh;
    float thresh_onset, thresh_hold; /* calibrated greedy thresholds, when has_thresh */
    /* The calibrated way to play, when has_play: the sampler's temperature
     * (0: greedy) and polyphony cap (0: none). Keys "temperature" and
     * "max_poly", present together or not at all. */
    bool has_play;
    float play_temperature;
    int play_max_poly;

    /* Derived. */
    int p_mel; /* melody pitches, mel_hi - mel_lo + 1 */
    int p_acc; /* accompaniment pitches */
    int n_in;  /* encoder input size */
    int n_out; /* output size: 2 p_acc, or p_acc for onoff */
} AcdModelConfig;

/* The documented defaults (models/README.md examples), derived fields
 * filled. RT-safe. */
void acd_model_config_default(AcdModelConfig *cfg);

/* Check every range and relation, and fill the derived fields. Not RT-safe
 * (writes a message). */
AcdStatus acd_model_config_check(AcdModelConfig *cfg, AcdError *err);

/* Set one hyper-parameter from its metadata string ("enc_hidden", "128").
 * Checks the value's syntax and its own range; relations between fields are
 * checked by acd_model_config_check(). Unknown keys are ACD_ERR_INVALID.
 * Not RT-safe. */
AcdStatus acd_model_config_set(AcdModelConfig *cfg, const char *key, const char *value,
                               AcdError *err);

/* The i-th metadata key (i from 0), or NULL past the last. The optional
 * keys (thresholds) are included. RT-safe. */
const char *acd_model_config_key(size_t i);

/* Whether key is one of the optional keys (thresholds, playing style). RT-safe. */
bool acd_model_config_optional(const char *key);

/* Whether cfg has a value for key: always for a required key, for an
 * optional one when its group is present. RT-safe. */
bool acd_model_config_has(const AcdModelConfig *cfg, const char *key);

/* Format the value of key as its metadata string into buf. Returns false
 * when the key is unknown, is an absent optional key, or buf is too small.
 * Not RT-safe. */
bool acd_model_config_format(const AcdModelConfig *cfg, const char *key, char *buf, size_t size);

/* ---- Tensors in PyTorch layout ------------------------------------------ */

#define ACD_TENSOR_NAME_MAX 48

/* One tensor the config requires: its name and its shape (row-major, as
 * PyTorch stores it). */
typedef struct {
    char name[ACD_TENSOR_NAME_MAX];
    int n_dims; /* 1 or 2 */
    size_t shape[2];
    size_t n_elems;
} AcdTensorSpec;

/* How many tensors the config requires (checked config). RT-safe. */
size_t acd_model_tensor_count(const AcdModelConfig *cfg);

/* The i-th required tensor, in file order: encoder, decoder, output.
 * Returns false past the last. RT-safe. */
bool acd_model_tensor_spec(const AcdModelConfig *cfg, size_t i, AcdTensorSpec *spec);

/* A config and all its tensors as F32 in PyTorch layout: what a trainer
 * fills and saves, and what a file holds. Opaque. */
typedef struct AcdModelTensors AcdModelTensors;

/* Allocate zeroed tensors for cfg (checked and derived here). Not RT-safe. */
AcdStatus acd_model_tensors_new(const AcdModelConfig *cfg, AcdModelTensors **out, AcdError *err);

/* Free; accepts NULL. Not RT-safe. */
void acd_model_tensors_free(AcdModelTensors *t);

/* The config the tensors were made for. RT-safe. */
const AcdModelConfig *acd_model_tensors_config(const AcdModelTensors *t);

/* The data of the named tensor (owned by t), or NULL for an unknown name;
 * *n_elems (optional) receives its element count. RT-safe. */
float *acd_model_tensors_find(AcdModelTensors *t, const char *name, size_t *n_elems);
const float *acd_model_tensors_find_const(const AcdModelTensors *t, const char *name,
                                          size_t *n_elems);

/* Write a safetensors file (F32, metadata from the config). Writes to a
 * temporary file beside path and renames it, so a reader never sees half a
 * model. Refuses non-finite values. Not RT-safe. */
AcdStatus acd_model_tensors_save(const AcdModelTensors *t, const char *path, AcdError *err);

/* Read and validate a safetensors file (the file is untrusted: see
 * models/README.md for every check). F16 and BF16 tensors are widened to
 * F32. Not RT-safe. */
AcdStatus acd_model_tensors_load(const char *path, AcdModelTensors **out, AcdError *err);

/* The same from memory; name is used in messages only. Not RT-safe. */
AcdStatus acd_model_tensors_load_memory(const void *buf, size_t len, const char *name,
                                        AcdModelTensors **out, AcdError *err);

/* ---- The model: immutable weights laid out for inference ---------------- */

typedef struct AcdModel AcdModel;

/* How the model keeps its dense matrices (every W_hh, the W_ih of every
 * layer above the roll inputs, the output layer). The sparse roll columns
 * and the biases stay F32 either way. */
typedef enum {
    ACD_WEIGHTS_F32 = 0,  /* exact: PyTorch's results to models/README.md's tolerance */
    ACD_WEIGHTS_BF16 = 1, /* opt-in: half the bytes per step, each weight rounded to
                             8 significant bits (README.md, Speed, for its accuracy) */
} AcdWeightStorage;

/* Build a model from tensors (copied; t may be freed afterwards). Sums
 * bias_ih and bias_hh and re-lays the weights for the kernels. Not RT-safe. */
AcdStatus acd_model_new(const AcdModelTensors *t, AcdModel **out, AcdError *err);

/* acd_model_new() with the dense matrices kept as `storage` says. Not
 * RT-safe. */
AcdStatus acd_model_new_storage(const AcdModelTensors *t, AcdWeightStorage storage, AcdModel **out,
                                AcdError *err);

/* acd_model_tensors_load() then acd_model_new(). Not RT-safe. */
AcdStatus acd_model_load(const char *path, AcdModel **out, AcdError *err);

/* acd_model_load() with the dense matrices kept as `storage` says. Not
 * RT-safe. */
AcdStatus acd_model_load_storage(const char *path, AcdWeightStorage storage, AcdModel **out,
                                 AcdError *err);

/* The same from memory; name is used in messages only. Not RT-safe. */
AcdStatus acd_model_load_memory(const void *buf, size_t len, const char *name, AcdModel **out,
                                AcdError *err);

/* Free; accepts NULL. No state made from the model may be used after.
 * Not RT-safe. */
void acd_model_free(AcdModel *m);

/* The model's hyper-parameters (derived fields filled). RT-safe. */
const AcdModelConfig *acd_model_config(const AcdModel *m);

/* How the dense matrices are stored. RT-safe. */
AcdWeightStorage acd_model_storage(const AcdModel *m);

/* Bytes of weights the inference kernels stream (after re-layout and
 * padding). RT-safe. */
size_t acd_model_weight_bytes(const AcdModel *m);

/* Floating-point operations of one step of the dense network (multiply and
 * add counted apart), for `copies` encoder+decoder copies and one output
 * layer; the sparse-input kernels do fewer. RT-safe. */
double acd_model_flops_per_step(const AcdModel *m, int copies);

#ifdef __cplusplus
}
#endif

#endif
