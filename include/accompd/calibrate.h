/* Calibrating a model's greedy thresholds so that its accompaniment is as dense as the human's. */
#ifndef ACCOMPD_CALIBRATE_H
#define ACCOMPD_CALIBRATE_H

#include <stdbool.h>
#include <stddef.h>

#include "accompd/chords.h"
#include "accompd/metrics.h"
#include "accompd/model.h"
#include "accompd/song.h"
#include "accompd/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The objective (README.md, "Calibrating a model: accomp calibrate").
 *
 * A trial renders every song of the set through the live engine
 * (acd_render_song, the path of accomp eval and of accompd) with one pair
 * (thresh_onset, thresh_hold) and scores it with acd_metrics_score. Its
 * distance to the target is
 *
 *     d = max(|poly / poly_h - 1|, |onsets / onsets_h - 1|)
 *
 * with poly the mean polyphony while sounding and onsets the onset steps per
 * bar (the human accompaniment's, pooled over the same songs, are poly_h and
 * onsets_h). A trial is "within" when d <= tol, and "quiet enough" when its
 * silence under the melody is at most silence_h + silence_margin. Ranks: 2
 * for within and quiet enough, 1 for within only, 0 otherwise. Trial a is
 * better than b when its rank is higher; at rank 2 when its harmony (melody
 * pc in accomp pcs) is higher, at rank 1 when its silence is lower, at rank
 * 0 when its d is lower; remaining ties go to the lower d. */

/* Knobs of the search. */
typedef struct {
    double tol;            /* relative tolerance on both density measures (0.15) */
    double silence_margin; /* silence allowed above the human's, absolute (0.05) */
    float temperature;     /* the sampler's temperature during trials (0: greedy) */
    int max_poly;          /* the sampler's polyphony cap during trials; < 0: the model's */
    int threads;           /* songs rendered in parallel, 1..8 (1) */
    int max_trials;        /* give up refining after this many trials (64) */
} AcdCalibrateConfig;

/* One tried pair and what it gave. */
typedef struct {
    float thresh_onset, thresh_hold, temperature;
    AcdMetrics metrics; /* pooled over the set */
    double poly;        /* ACD_METRIC_POLYPHONY (NAN when silent) */
    double onsets_bar;  /* ACD_METRIC_ONSET_FRAMES_BAR */
    double harmony;     /* ACD_METRIC_HARMONY_PC (NAN when silent) */
    double silence;     /* ACD_METRIC_SILENCE */
    double dist;        /* d above; INFINITY when silent */
    bool within;        /* dist <= tol */
    bool quiet_ok;      /* silence <= the human's + silence_margin */
    int rank;           /* 2, 1 or 0, as above */
    double seconds;     /* wall time of the trial */
} AcdCalibrateTrial;

typedef struct AcdCalibration AcdCalibration;

/* tol 0.15, silence margin 0.05, greedy, the model's polyphony cap, 1
 * thread, 64 trials. */
void acd_calibrate_config_default(AcdCalibrateConfig *cfg);

/* An empty calibration of model m (borrowed: it must outlive the
 * calibration). Not RT-safe. */
AcdStatus acd_calibrate_new(const AcdModel *m, const AcdCalibrateConfig *cfg, AcdCalibration **out,
                            AcdError *err);

/* Free; accepts NULL. Frees the songs it was given. */
void acd_calibrate_free(AcdCalibration *c);

/* Add a song (the calibration takes it over and frees it, also on failure)
 * with its chord labels (may be NULL; copied). Its human accompaniment is
 * added to the target. ACD_ERR_NO_MELODY for a song without melody. */
AcdStatus acd_calibrate_add_song(AcdCalibration *c, AcdSong *song, const AcdChordLabels *labels,
                                 AcdError *err);

/* Songs added, and the human accompaniment pooled over them. */
size_t acd_calibrate_song_count(const AcdCalibration *c);
const AcdMetrics *acd_calibrate_target(const AcdCalibration *c);

/* Render and score every song with these thresholds and temperature (the
 * model's engine defaults otherwise) into *out; the trial is not recorded.
 * Not RT-safe. */
AcdStatus acd_calibrate_try(AcdCalibration *c, float thresh_onset, float thresh_hold,
                            float temperature, AcdCalibrateTrial *out, AcdError *err);

/* True when a is better than b by the objective above. */
bool acd_calibrate_better(const AcdCalibrateTrial *a, const AcdCalibrateTrial *b);

/* Called after each trial of the search (may be NULL). */
typedef void (*AcdCalibrateProgress)(void *user, const AcdCalibrateTrial *trial, size_t index);

/* The search: a coarse grid of 5 x 5 pairs (onset 0.02..0.5, hold
 * 0.05..0.7, even in logit), then a pattern search in logit space from the
 * best (steps of 0.5 logit on each axis, halved when no neighbour is
 * better, down to 0.06), at most cfg->max_trials in all. Thresholds are
 * rounded to 0.001 so that the file stores exactly what was tried. Every
 * trial is recorded (acd_calibrate_trials); *best receives the best.
 * ACD_ERR_EMPTY without songs. Not RT-safe. */
AcdStatus acd_calibrate_search(AcdCalibration *c, AcdCalibrateProgress progress, void *user,
                               AcdCalibrateTrial *best, AcdError *err);

/* The trials of the search, in the order tried. Valid until the next search
 * or the free. */
const AcdCalibrateTrial *acd_calibrate_trials(const AcdCalibration *c, size_t *n);

/* Copy the model file in_path to out_path (the same path is fine: written
 * to a temporary file and renamed) with thresh_onset and thresh_hold set in
 * its metadata. The tensors are copied unchanged through the tensors API,
 * so that the data area is byte-identical and the header differs only by
 * the two keys. Not RT-safe. */
AcdStatus acd_calibrate_save_thresholds(const char *in_path, const char *out_path,
                                        float thresh_onset, float thresh_hold, AcdError *err);

/* The same, and the playing style the thresholds were calibrated for: the
 * metadata keys "temperature" (0: greedy) and "max_poly" (0: no cap), which
 * acd_engine_config_default then applies. Not RT-safe. */
AcdStatus acd_calibrate_save_play(const char *in_path, const char *out_path, float thresh_onset,
                                  float thresh_hold, float temperature, int max_poly,
                                  AcdError *err);

#ifdef __cplusplus
}
#endif

#endif
