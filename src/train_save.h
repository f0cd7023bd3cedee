/* From the trainer's flat parameters to the model file (the model module's tensors and save). */
#ifndef ACCOMPD_TRAIN_SAVE_H
#define ACCOMPD_TRAIN_SAVE_H

#include "accompd/model.h"
#include "accompd/status.h"
#include "train_net.h"

/* Copy net's tensors into a new AcdModelTensors for cfg (whose sizes must
 * be net's). The caller frees *out. Not RT-safe. */
AcdStatus acd_train_net_to_tensors(const AcdTrainNet *net, const AcdModelConfig *cfg,
                                   AcdModelTensors **out, AcdError *err);

/* The same, saved as a safetensors file at path. Not RT-safe. */
AcdStatus acd_train_save_model(const AcdTrainNet *net, const AcdModelConfig *cfg, const char *path,
                               AcdError *err);

#endif
