/* Audio for accomp render: runs fluidsynth on the rendered MIDI file and measures the WAV it
 * writes. */
#include "render_wav.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

const char *acd_wav_find_soundfont(void)
{
    /* fluid-soundfont-gm's file, then the alternatives Debian links. */
    static const char *const candidates[] = {
        "/usr/share/sounds/sf2/FluidR3_GM.sf2",
        "/usr/share/sounds/sf2/default-GM.sf2",
        "/usr/share/soundfonts/FluidR3_GM.sf2",
        "/usr/share/soundfonts/default.sf2",
    };
    for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++)
        if (access(candidates[i], R_OK) == 0)
            return candidates[i];
    return NULL;
}

AcdStatus acd_wav_render(const char *midi_path, const char *wav_path, const char *soundfont,
                         AcdError *err)
{
    if (!soundfont)
        return acd_error_set(err, ACD_ERR_UNSUPPORTED,
                             "no General MIDI soundfont found; " ACD_WAV_HINT);
    if (access(soundfont, R_OK) != 0)
        return acd_error_set(err, ACD_ERR_UNSUPPORTED, "soundfont %s: %s; " ACD_WAV_HINT, soundfont,
                             strerror(errno));
    /* posix_spawn's argv is not const; the paths are never written. */
    char prog[] = "fluidsynth", no_in[] = "-ni", quiet[] = "-q", fast[] = "-F", r[] = "-r",
         rate[] = "44100", g[] = "-g", gain[] = "0.5";
    /* Gain 0.5 instead of fluidsynth's 0.2: a solo piano and flute peak
     * around -10 dBFS instead of -18, far from clipping. */
    char *argv[] = {prog,
                    no_in,
                    quiet,
                    g,
                    gain,
                    fast,
                    (char *)(uintptr_t)wav_path,
                    r,
                    rate,
                    (char *)(uintptr_t)soundfont,
                    (char *)(uintptr_t)midi_path,
                    NULL};
    posix_spawn_file_actions_t fa;
    if (posix_spawn_file_actions_init(&fa) != 0)
        return acd_error_set(err, ACD_ERR_NOMEM, "fluidsynth: cannot prepare to start it");
    /* Its banner and progress would drown our summary; errors go to stderr. */
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    int rc = posix_spawnp(&pid, "fluidsynth", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        return acd_error_set(err, ACD_ERR_UNSUPPORTED, "cannot run fluidsynth: %s; " ACD_WAV_HINT,
                             strerror(rc));
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return acd_error_set(err, ACD_ERR_BACKEND, "fluidsynth: wait: %s", strerror(errno));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return acd_error_set(err, ACD_ERR_BACKEND, "fluidsynth failed (%s %d) rendering %s",
                             WIFEXITED(status) ? "exit status" : "signal",
                             WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), wav_path);
    struct stat sb;
    if (stat(wav_path, &sb) != 0 || sb.st_size <= 44)
        return acd_error_set(err, ACD_ERR_BACKEND, "fluidsynth wrote no audio to %s", wav_path);
    return ACD_OK;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static unsigned le16(const uint8_t *p)
{
    return (unsigned)p[0] | (unsigned)p[1] << 8;
}

AcdStatus acd_wav_measure(const char *path, AcdWavLevel *out, AcdError *err)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f)
        return acd_error_set(err, ACD_ERR_IO, "%s: %s", path, strerror(errno));
    AcdStatus st = ACD_OK;
    uint8_t hdr[12], ck[8], fmt[16] = {0};
    unsigned channels = 0, rate = 0, bits = 0;
    if (fread(hdr, 1, 12, f) != 12 || memcmp(hdr, "RIFF", 4) || memcmp(hdr + 8, "WAVE", 4)) {
        st = acd_error_set(err, ACD_ERR_FORMAT, "%s: not a RIFF WAVE file", path);
        goto done;
    }
    for (;;) {
        if (fread(ck, 1, 8, f) != 8) {
            st = acd_error_set(err, ACD_ERR_FORMAT, "%s: no data chunk", path);
            goto done;
        }
        uint32_t size = le32(ck + 4);
        if (!memcmp(ck, "fmt ", 4) && size >= 16) {
            if (fread(fmt, 1, 16, f) != 16 || fseek(f, (long)(size - 16 + (size & 1)), SEEK_CUR)) {
                st = acd_error_set(err, ACD_ERR_FORMAT, "%s: short fmt chunk", path);
                goto done;
            }
            channels = le16(fmt + 2);
            rate = le32(fmt + 4);
            bits = le16(fmt + 14);
        } else if (!memcmp(ck, "data", 4)) {
            if (le16(fmt) != 1 || bits != 16 || channels == 0 || rate == 0) {
                st =
                    acd_error_set(err, ACD_ERR_UNSUPPORTED,
                                  "%s: not 16-bit PCM (format %u, %u bits)", path, le16(fmt), bits);
                goto done;
            }
            double sum = 0.0, peak = 0.0;
            uint64_t n = 0;
            uint8_t buf[4096];
            size_t got;
            uint32_t left = size;
            while (left > 0 &&
                   (got = fread(buf, 1, left < sizeof buf ? left : sizeof buf, f)) >= 2) {
                for (size_t i = 0; i + 1 < got; i += 2) {
                    double s = (double)(int16_t)le16(buf + i) / 32768.0;
                    sum += s * s;
                    peak = fmax(peak, fabs(s));
                    n++;
                }
                left -= (uint32_t)got;
            }
            out->seconds = (double)n / channels / rate;
            out->rms = n ? sqrt(sum / (double)n) : 0.0;
            out->peak = peak;
            goto done;
        } else if (fseek(f, (long)size + (long)(size & 1), SEEK_CUR)) {
            st = acd_error_set(err, ACD_ERR_FORMAT, "%s: truncated chunk", path);
            goto done;
        }
    }
done:
    fclose(f);
    return st;
}
