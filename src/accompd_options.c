/* accompd's settings and their command-line flags, in one place so that the config file can join.
 */
#include "accompd_options.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void acd_options_default(AcdOptions *o)
{
    memset(o, 0, sizeof *o);
    o->client_name = "accompd";
    o->tempo_bpm = 120.0;
    o->beats_per_bar = 4;
    o->grace_ms = 15.0;
    o->seed = 1;
    o->temperature = -1.0;
    o->max_poly = -1;
    o->channel = 1;
    o->velocity = 80;
    o->stop_after_bars = 2;
    o->panic_cc = -1;
    o->in_ring = 1024;
    o->out_ring = 1024;
    o->in_reserve = 64;
    o->backend = "jack";
    o->cc_onoff = 80;
    o->cc_variety = 20;
    o->cc_density = 21;
    o->cc_velocity = 22;
    o->cc_tempo = 23;
    o->program = -1;
    o->bass_channel = 0;
    o->dynamics = 0.5;
}

AcdStatus acd_options_check_backend(const char *backend, AcdError *err)
{
    if (backend && (strcmp(backend, "jack") == 0 || strcmp(backend, "alsa") == 0 ||
                    strcmp(backend, "auto") == 0))
        return ACD_OK;
    return acd_error_set(err, ACD_ERR_RANGE, "--backend %s: expected jack, alsa or auto",
                         backend ? backend : "(none)");
}

enum {
    OPT_MODEL = 256,
    OPT_NAME,
    OPT_SERVER,
    OPT_CONNECT_IN,
    OPT_CONNECT_OUT,
    OPT_CONNECT_THRU,
    OPT_TEMPO,
    OPT_STEPS_PER_BEAT,
    OPT_BEATS_PER_BAR,
    OPT_GRACE_MS,
    OPT_SEED,
    OPT_TEMPERATURE,
    OPT_MAX_POLY,
    OPT_CHANNEL,
    OPT_VELOCITY,
    OPT_COUNT_IN,
    OPT_STOP_BARS,
    OPT_THRU,
    OPT_NO_TRANSPORT,
    OPT_MIDI_CLOCK,
    OPT_PANIC_CC,
    OPT_IN_RING,
    OPT_OUT_RING,
    OPT_IN_RESERVE,
    OPT_VERSION,
    OPT_BACKEND,
    OPT_CC_ONOFF,
    OPT_CC_VARIETY,
    OPT_CC_DENSITY,
    OPT_CC_VELOCITY,
    OPT_CC_TEMPO,
    OPT_PROGRAM,
    OPT_BASS_CHANNEL,
    OPT_DYNAMICS,
    OPT_PID_FILE,
    OPT_LEARN,
    OPT_STATUS,
};

static const struct option long_opts[] = {
    {"model", required_argument, NULL, OPT_MODEL},
    {"name", required_argument, NULL, OPT_NAME},
    {"server", required_argument, NULL, OPT_SERVER},
    {"connect-in", required_argument, NULL, OPT_CONNECT_IN},
    {"connect-out", required_argument, NULL, OPT_CONNECT_OUT},
    {"connect-thru", required_argument, NULL, OPT_CONNECT_THRU},
    {"tempo", required_argument, NULL, OPT_TEMPO},
    {"steps-per-beat", required_argument, NULL, OPT_STEPS_PER_BEAT},
    {"beats-per-bar", required_argument, NULL, OPT_BEATS_PER_BAR},
    {"grace-ms", required_argument, NULL, OPT_GRACE_MS},
    {"seed", required_argument, NULL, OPT_SEED},
    {"temperature", required_argument, NULL, OPT_TEMPERATURE},
    {"max-poly", required_argument, NULL, OPT_MAX_POLY},
    {"channel", required_argument, NULL, OPT_CHANNEL},
    {"velocity", required_argument, NULL, OPT_VELOCITY},
    {"count-in", required_argument, NULL, OPT_COUNT_IN},
    {"stop-bars", required_argument, NULL, OPT_STOP_BARS},
    {"thru", no_argument, NULL, OPT_THRU},
    {"no-transport", no_argument, NULL, OPT_NO_TRANSPORT},
    {"midi-clock", no_argument, NULL, OPT_MIDI_CLOCK},
    {"panic-cc", required_argument, NULL, OPT_PANIC_CC},
    {"in-ring", required_argument, NULL, OPT_IN_RING},
    {"out-ring", required_argument, NULL, OPT_OUT_RING},
    {"in-reserve", required_argument, NULL, OPT_IN_RESERVE},
    {"backend", required_argument, NULL, OPT_BACKEND},
    {"cc-onoff", required_argument, NULL, OPT_CC_ONOFF},
    {"cc-variety", required_argument, NULL, OPT_CC_VARIETY},
    {"cc-density", required_argument, NULL, OPT_CC_DENSITY},
    {"cc-velocity", required_argument, NULL, OPT_CC_VELOCITY},
    {"cc-tempo", required_argument, NULL, OPT_CC_TEMPO},
    {"program", required_argument, NULL, OPT_PROGRAM},
    {"bass-channel", required_argument, NULL, OPT_BASS_CHANNEL},
    {"dynamics", required_argument, NULL, OPT_DYNAMICS},
    {"pid-file", required_argument, NULL, OPT_PID_FILE},
    {"learn", required_argument, NULL, OPT_LEARN},
    {"status", no_argument, NULL, OPT_STATUS},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

void acd_options_usage(FILE *f)
{
    fputs("usage: accompd --model FILE [options]\n"
          "       accompd --status | --print-config | --help | --version\n"
          "  --config PATH         configuration file (default: the first of\n"
          "                        $XDG_CONFIG_HOME/accompd/accompd.conf and the system file)\n"
          "  --print-config        print the effective settings and where each came from\n"
          "  --status              make the running instance log its status (SIGUSR1 via --pid-file)\n"
          "  --pid-file PATH       where the daemon writes its PID\n"
          "                        ($XDG_RUNTIME_DIR/accompd/NAME.pid)\n"
          "  --backend B           jack, alsa (ALSA sequencer) or auto: JACK when a server\n"
          "                        runs, else ALSA (jack)\n"
          "  --model FILE          weights (safetensors)\n"
          "  --name NAME           JACK client name (accompd)\n"
          "  --server NAME         JACK server ($JACK_DEFAULT_SERVER or default)\n"
          "  --connect-in REGEX    connect melody_in from matching MIDI outputs (repeatable)\n"
          "  --connect-out REGEX   connect accomp_out to matching MIDI inputs (repeatable)\n"
          "  --connect-thru REGEX  connect melody_thru to matching MIDI inputs (repeatable)\n"
          "  --tempo BPM           tempo of the step grid (120)\n"
          "  --steps-per-beat N    grid; must equal the model's (default: the model's)\n"
          "  --beats-per-bar N     bar length for the model's bar position (4)\n"
          "  --grace-ms MS         decision delay after each step boundary (15)\n"
          "  --seed N              sampler seed (1)\n"
          "  --temperature T       0: greedy; > 0: sampling (the model's, else 0)\n"
          "  --max-poly N          most accompaniment notes at once (the model's, else 8)\n"
          "  --channel N           output MIDI channel 1..16 (1)\n"
          "  --velocity N          note-on velocity (80)\n"
          "  --count-in STEPS      listen this many steps before playing (0)\n"
          "  --stop-bars N         stop after N silent bars, 0 never (2)\n"
          "  --thru                offer melody_thru, a copy of the melody\n"
          "  --no-transport        ignore JACK transport (else it rules tempo and bars)\n"
          "  --midi-clock          follow MIDI clock (24 ppqn) arriving at melody_in\n"
          "  --panic-cc N          controller that releases everything (none)\n"
          "  --cc-onoff N          controller: accompaniment on (>= 64) or off (80)\n"
          "  --cc-variety N        controller: temperature 0..2 (20)\n"
          "  --cc-density N        controller: sparser (0) .. denser (127) (21)\n"
          "  --cc-velocity N       controller: output velocity (22)\n"
          "  --cc-tempo N          controller: tempo 40..240 BPM, free-running grid (23)\n"
          "                        (any --cc-* -1: none)\n"
          "  --learn FUNCTION      assign the next controller received to FUNCTION\n"
          "                        (" ACD_OPTIONS_LEARN_NAMES ")\n"
          "  --program N           program change sent at start, 0..127 (none)\n"
          "  --bass-channel N      lowest accompaniment note on this channel 1..16,\n"
          "                        the others on --channel (0: no split)\n"
          "  --dynamics D          how much the velocity follows the player, 0..1 (0.5)\n"
          "  --in-ring N           melody ring, events, power of two (1024)\n"
          "  --out-ring N          accompaniment ring, events, power of two (1024)\n"
          "  --in-reserve N        melody ring slots kept for note-offs (64)\n"
          "  -v, --verbose         more log lines (repeatable)\n"
          "  -h, --help, --version\n"
          "Signals: SIGHUP reloads the configuration and the model without stopping;\n"
          "SIGUSR1 logs a status report; SIGINT/SIGTERM release every note and quit.\n",
          f);
}

static AcdStatus parse_double(const char *flag, const char *s, double lo, double hi, double *out,
                              AcdError *err)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v) || v < lo || v > hi)
        return acd_error_set(err, ACD_ERR_RANGE, "--%s %s: expected a number in [%g, %g]", flag, s,
                             lo, hi);
    *out = v;
    return ACD_OK;
}

static AcdStatus parse_long(const char *flag, const char *s, long lo, long hi, long *out,
                            AcdError *err)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return acd_error_set(err, ACD_ERR_RANGE, "--%s %s: expected an integer in [%ld, %ld]", flag,
                             s, lo, hi);
    *out = v;
    return ACD_OK;
}

static AcdStatus add_pattern(const char **list, const char *flag, const char *value, AcdError *err)
{
    for (int i = 0; i < ACD_OPTIONS_MAX_PATTERNS; i++) {
        if (!list[i]) {
            list[i] = value;
            return ACD_OK;
        }
    }
    return acd_error_set(err, ACD_ERR_LIMIT, "--%s: at most %d patterns", flag,
                         ACD_OPTIONS_MAX_PATTERNS);
}

static AcdStatus ring_size(const char *flag, const char *s, size_t *out, AcdError *err)
{
    long v;
    AcdStatus st = parse_long(flag, s, 16, 1L << 20, &v, err);
    if (st == ACD_OK && (v & (v - 1)) != 0)
        st = acd_error_set(err, ACD_ERR_RANGE, "--%s %s: expected a power of two", flag, s);
    if (st == ACD_OK)
        *out = (size_t)v;
    return st;
}

AcdStatus acd_options_parse(AcdOptions *o, int argc, char **argv, AcdError *err)
{
    optind = 1;
    opterr = 0;
    int c, idx;
    long v = 0;
    AcdStatus st = ACD_OK;
    while (st == ACD_OK && (c = getopt_long(argc, argv, ":vh", long_opts, &idx)) != -1) {
        const char *name = c >= 256 ? long_opts[idx].name : "";
        switch (c) {
        case OPT_MODEL:
            o->model_path = optarg;
            break;
        case OPT_NAME:
            o->client_name = optarg;
            break;
        case OPT_SERVER:
            o->server_name = optarg;
            break;
        case OPT_CONNECT_IN:
            st = add_pattern(o->connect_in, name, optarg, err);
            break;
        case OPT_CONNECT_OUT:
            st = add_pattern(o->connect_out, name, optarg, err);
            break;
        case OPT_CONNECT_THRU:
            st = add_pattern(o->connect_thru, name, optarg, err);
            break;
        case OPT_TEMPO:
            st = parse_double(name, optarg, 20, 400, &o->tempo_bpm, err);
            break;
        case OPT_GRACE_MS:
            st = parse_double(name, optarg, 0, 100, &o->grace_ms, err);
            break;
        case OPT_TEMPERATURE:
            st = parse_double(name, optarg, 0, 10, &o->temperature, err);
            break;
        case OPT_STEPS_PER_BEAT:
            if ((st = parse_long(name, optarg, 1, 48, &v, err)) == ACD_OK)
                o->steps_per_beat = (int)v;
            break;
        case OPT_BEATS_PER_BAR:
            if ((st = parse_long(name, optarg, 1, 32, &v, err)) == ACD_OK)
                o->beats_per_bar = (int)v;
            break;
        case OPT_SEED:
            if ((st = parse_long(name, optarg, 0, 0x7FFFFFFFL, &v, err)) == ACD_OK)
                o->seed = (uint64_t)v;
            break;
        case OPT_MAX_POLY:
            if ((st = parse_long(name, optarg, 0, 128, &v, err)) == ACD_OK)
                o->max_poly = (int)v;
            break;
        case OPT_CHANNEL:
            if ((st = parse_long(name, optarg, 1, 16, &v, err)) == ACD_OK)
                o->channel = (int)v;
            break;
        case OPT_VELOCITY:
            if ((st = parse_long(name, optarg, 1, 127, &v, err)) == ACD_OK)
                o->velocity = (int)v;
            break;
        case OPT_COUNT_IN:
            if ((st = parse_long(name, optarg, 0, 1024, &v, err)) == ACD_OK)
                o->count_in_steps = (int)v;
            break;
        case OPT_STOP_BARS:
            if ((st = parse_long(name, optarg, 0, 1000, &v, err)) == ACD_OK)
                o->stop_after_bars = (int)v;
            break;
        case OPT_THRU:
            o->thru = true;
            break;
        case OPT_NO_TRANSPORT:
            o->no_transport = true;
            break;
        case OPT_MIDI_CLOCK:
            o->midi_clock = true;
            break;
        case OPT_PANIC_CC:
            if ((st = parse_long(name, optarg, 0, 127, &v, err)) == ACD_OK)
                o->panic_cc = (int)v;
            break;
        case OPT_IN_RING:
            st = ring_size(name, optarg, &o->in_ring, err);
            break;
        case OPT_OUT_RING:
            st = ring_size(name, optarg, &o->out_ring, err);
            break;
        case OPT_IN_RESERVE:
            if ((st = parse_long(name, optarg, 0, 1L << 19, &v, err)) == ACD_OK)
                o->in_reserve = (size_t)v;
            break;
        case OPT_BACKEND:
            o->backend = optarg;
            st = acd_options_check_backend(optarg, err);
            break;
        case OPT_CC_ONOFF:
        case OPT_CC_VARIETY:
        case OPT_CC_DENSITY:
        case OPT_CC_VELOCITY:
        case OPT_CC_TEMPO:
            if ((st = parse_long(name, optarg, -1, 127, &v, err)) == ACD_OK) {
                int *cc[] = {&o->cc_onoff, &o->cc_variety, &o->cc_density, &o->cc_velocity,
                             &o->cc_tempo};
                *cc[c - OPT_CC_ONOFF] = (int)v;
            }
            break;
        case OPT_PROGRAM:
            if ((st = parse_long(name, optarg, 0, 127, &v, err)) == ACD_OK)
                o->program = (int)v;
            break;
        case OPT_BASS_CHANNEL:
            if ((st = parse_long(name, optarg, 0, 16, &v, err)) == ACD_OK)
                o->bass_channel = (int)v;
            break;
        case OPT_DYNAMICS:
            st = parse_double(name, optarg, 0, 1, &o->dynamics, err);
            break;
        case OPT_PID_FILE:
            o->pid_file = optarg;
            break;
        case OPT_LEARN:
            o->learn = optarg;
            break;
        case OPT_STATUS:
            o->status = true;
            break;
        case 'v':
            o->verbose++;
            break;
        case 'h':
            o->help = true;
            break;
        case OPT_VERSION:
            o->version = true;
            break;
        case ':':
            st = acd_error_set(err, ACD_ERR_INVALID, "%s needs a value", argv[optind - 1]);
            break;
        default:
            st = acd_error_set(err, ACD_ERR_INVALID, "unknown option %s", argv[optind - 1]);
            break;
        }
    }
    if (st == ACD_OK && optind < argc)
        st = acd_error_set(err, ACD_ERR_INVALID, "unexpected argument %s", argv[optind]);
    if (st == ACD_OK && o->in_reserve >= o->in_ring)
        st = acd_error_set(err, ACD_ERR_RANGE, "--in-reserve %zu must be below --in-ring %zu",
                           o->in_reserve, o->in_ring);
    return st;
}
