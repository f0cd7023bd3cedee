/* Audio for accomp render: a MIDI file through the fluidsynth program, and a look at the WAV it
 * made. */
#ifndef ACCOMPD_RENDER_WAV_H
#define ACCOMPD_RENDER_WAV_H

#include "accompd/status.h"

/* How to get what --wav needs, for messages. */
#define ACD_WAV_HINT "install them with: sudo apt-get install fluidsynth fluid-soundfont-gm"

/* The first General MIDI soundfont found where Debian's packages put them,
 * or NULL. */
const char *acd_wav_find_soundfont(void);

/* Run `fluidsynth -ni -q -g 0.5 -F wav_path -r 44100 soundfont midi_path` (found on
 * PATH, started without a shell) and wait for it. ACD_ERR_UNSUPPORTED with
 * ACD_WAV_HINT when fluidsynth cannot be started or soundfont is NULL or
 * missing; ACD_ERR_BACKEND when it fails. */
AcdStatus acd_wav_render(const char *midi_path, const char *wav_path, const char *soundfont,
                         AcdError *err);

/* Duration and loudness of a 16-bit PCM WAV file (what fluidsynth writes):
 * RMS and peak over all channels, in full scale (1.0 = 0 dBFS). */
typedef struct {
    double seconds;
    double rms;
    double peak;
} AcdWavLevel;

AcdStatus acd_wav_measure(const char *path, AcdWavLevel *out, AcdError *err);

#endif
